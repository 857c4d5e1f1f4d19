import { isIP } from 'node:net';
import { DaemonError } from '../errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

const LISTEN_PATTERN = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/;

/** Whether `text` is `host:port` (IPv6 as `[::1]:7400`) with a port in 0–65535. */
export function isListenAddress(text: string): boolean {
  const match = LISTEN_PATTERN.exec(text.trim());
  return match !== null && Number(match[3]) <= 65_535;
}

/** Parses `host:port` (IPv6 as `[::1]:7400`). Port 0 asks the OS for a free port (tests). */
export function parseListenAddress(text: string): ListenAddress {
  const match = LISTEN_PATTERN.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65_535) {
    throw new DaemonError('SLUICE_E_CONFIG_INVALID', `listen address ${JSON.stringify(text)} is not host:port — use e.g. 127.0.0.1:7400 or [::1]:7400`);
  }
  return { host: (match[1] ?? match[2])!, port };
}

/** Whether a host only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

export function formatListenAddress({ host, port }: ListenAddress): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Refuses a non-loopback address unless the operator said so explicitly (`--allow-non-loopback`). */
export function assertListenAllowed(address: ListenAddress, allowNonLoopback: boolean): void {
  if (isLoopbackHost(address.host) || allowNonLoopback) return;
  throw new DaemonError(
    'SLUICE_E_LISTEN_NOT_LOOPBACK',
    `refusing to listen on ${formatListenAddress(address)}: it is not a loopback address, so the API would be reachable ` +
      'from other machines — pass --allow-non-loopback (or SLUICE_ALLOW_NON_LOOPBACK=1) if that is what you want, ' +
      'and put TLS in front of it',
  );
}
