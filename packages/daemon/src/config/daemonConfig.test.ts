import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDaemonConfig } from './daemonConfig.js';
import { assertListenAllowed, isLoopbackHost, parseListenAddress } from './listenAddress.js';

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-config-')), 'daemon.yaml');
  writeFileSync(file, text);
  return file;
}

describe('daemon configuration', () => {
  it('uses the defaults when nothing is given', () => {
    const config = resolveDaemonConfig({ flags: {}, env: {} });
    expect(config).toMatchObject({ db: '.sluice/sluice.db', listen: '127.0.0.1:7400', openReads: false, logLevel: 'info', tickMs: 250 });
    expect(config.tokenFile).toBeUndefined();
  });

  it('takes flag over environment over file over default, setting by setting', () => {
    const file = configFile('db: /file.db\nlisten: 127.0.0.1:1\ntickMs: 100\nopenReads: true\n');
    const config = resolveDaemonConfig({
      flags: { db: '/flag.db', tickMs: undefined },
      env: { SLUICE_DB: '/env.db', SLUICE_LISTEN: '127.0.0.1:2', SLUICE_CONFIG: file },
    });
    expect(config.db).toBe('/flag.db');
    expect(config.listen).toBe('127.0.0.1:2');
    expect(config.tickMs).toBe(100);
    expect(config.openReads).toBe(true);
    expect(config.logLevel).toBe('info');
  });

  it('reads JSON config files and coerces environment booleans and integers', () => {
    const file = configFile('{"logLevel":"debug"}');
    const config = resolveDaemonConfig({ flags: {}, env: { SLUICE_OPEN_READS: 'yes', SLUICE_TICK_MS: '50' }, configFile: file });
    expect(config).toMatchObject({ logLevel: 'debug', openReads: true, tickMs: 50 });
  });

  it('names the setting and where it came from when a value is invalid', () => {
    expect(() => resolveDaemonConfig({ flags: {}, env: { SLUICE_TICK_MS: 'fast' } })).toThrow(/tickMs \(from environment variable SLUICE_TICK_MS\)/);
    // A bad listen address is reported with its origin and together with the other problems (it came alone, later).
    expect(() => resolveDaemonConfig({ flags: { listen: '127.0.0.1:99999', tickMs: 5 }, env: {} })).toThrow(
      /listen \(from flag --listen\): is not host:port.*\n.*tickMs \(from flag --tick-ms\)|tickMs \(from flag --tick-ms\).*\n.*listen \(from flag --listen\): is not host:port/,
    );
    expect(() => resolveDaemonConfig({ flags: {}, env: {}, configFile: configFile('colour: blue\n') })).toThrow(/colour|unrecognized/i);
    expect(() => resolveDaemonConfig({ flags: {}, env: {}, configFile: '/no/such/file.yaml' })).toThrow(/cannot read config file/);
  });
});

describe('listen address', () => {
  it('parses IPv4, IPv6 and names', () => {
    expect(parseListenAddress('127.0.0.1:7400')).toEqual({ host: '127.0.0.1', port: 7400 });
    expect(parseListenAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseListenAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(() => parseListenAddress('7400')).toThrow(/host:port/);
    expect(() => parseListenAddress('127.0.0.1:70000')).toThrow(/host:port/);
  });

  it('refuses a non-loopback address unless explicitly allowed', () => {
    expect(isLoopbackHost('127.0.0.2')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(() => assertListenAllowed({ host: '0.0.0.0', port: 7400 }, false)).toThrow(/--allow-non-loopback/);
    expect(() => assertListenAllowed({ host: '0.0.0.0', port: 7400 }, true)).not.toThrow();
  });
});
