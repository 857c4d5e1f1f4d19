import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleepMs } from '../retry.js';
import { isProcessAlive, listChildPids, readMasterPid } from './nginxControl.js';
import type { NginxAdapterOptions } from './nginxOptions.js';
import { renderInclude } from './renderInclude.js';

/**
 * A private nginx instance for examples and end-to-end tests: its own prefix in a temporary directory, its own
 * config, a loopback port — never the system nginx. The main config is the one docs/adapters/nginx.md describes, so
 * the tests exercise the documented setup.
 */
export interface PrivateNginxOptions {
  /** Upstream addresses (host:port) of the stable version. */
  baselineAddresses: string[];
  /** Upstream addresses of the candidate version. */
  candidateAddresses: string[];
  /** nginx binary; default the first of $NGINX_BIN, /usr/sbin/nginx, `nginx` on PATH. */
  binary?: string;
  /** Worker processes; default 1. */
  workerProcesses?: number;
  /** Time allowed for nginx to start or stop; default 10 000 ms. */
  startTimeoutMs?: number;
  /** Extra directives inside the proxied `location /` (e.g. timeouts). */
  locationDirectives?: string[];
}

export interface PrivateNginx {
  dir: string;
  binary: string;
  mainConfigPath: string;
  includePath: string;
  pidFile: string;
  accessLogPath: string;
  errorLogPath: string;
  /** Port of the proxied server on 127.0.0.1. */
  port: number;
  url: string;
  markerListen: string;
  /** The -g directives the instance runs with. */
  globalDirectives: string;
  /** Options for createNginxAdapter matching this instance. */
  adapterOptions: NginxAdapterOptions & { baselineUpstream: string; candidateUpstream: string };
  masterPid(): Promise<number>;
  workerPids(): Promise<Set<number>>;
  /** SIGUSR1: nginx reopens its log files (what logrotate does after renaming). */
  reopenLogs(): Promise<void>;
  /** Stops the instance (SIGTERM, then SIGKILL after the timeout) and removes its directory. */
  stop(): Promise<void>;
}

export function findNginxBinary(): string {
  const candidates = [process.env.NGINX_BIN, '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate;
  return 'nginx';
}

/** Asks the OS for a free loopback port. Another process could take it before nginx binds; tests accept that race. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function run(binary: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) =>
      error ? reject(new Error(`${binary} ${args.join(' ')} failed: ${`${stderr}${stdout}`.trim() || error.message}`)) : resolve(),
    );
  });
}

export async function startPrivateNginx(options: PrivateNginxOptions): Promise<PrivateNginx> {
  const binary = options.binary ?? findNginxBinary();
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const dir = await mkdtemp(join(tmpdir(), 'sluice-nginx-'));
  // Workers run as an unprivileged user when nginx starts as root; they need to traverse the directory.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'logs'));
  await mkdir(join(dir, 'temp'));
  const [port, markerPort] = [await freePort(), await freePort()];
  const paths = {
    mainConfigPath: join(dir, 'nginx.conf'),
    includePath: join(dir, 'sluice.conf'),
    pidFile: join(dir, 'nginx.pid'),
    accessLogPath: join(dir, 'logs', 'access.log'),
    errorLogPath: join(dir, 'logs', 'error.log'),
  };
  const markerListen = `127.0.0.1:${markerPort}`;
  const globalDirectives = `daemon on; pid ${paths.pidFile};`;
  const adapterOptions = {
    includePath: paths.includePath,
    mainConfigPath: paths.mainConfigPath,
    pidFile: paths.pidFile,
    binary,
    prefix: dir,
    globalDirectives,
    baselineUpstream: 'sluice_baseline',
    candidateUpstream: 'sluice_candidate',
    markerListen,
  };
  const temp = (name: string): string => `${name}_temp_path ${join(dir, 'temp', name)};`;
  const mainConfig = [
    `worker_processes ${options.workerProcesses ?? 1};`,
    `error_log ${paths.errorLogPath} notice;`,
    'events { worker_connections 1024; }',
    'http {',
    '    access_log off;',
    `    ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n    ')}`,
    `    log_format sluice_json escape=json '{"msec":"$msec","status":"$status","request_time":"$request_time","upstream_addr":"$upstream_addr","upstream_status":"$upstream_status","upstream_response_time":"$upstream_response_time","variant":"$sluice_variant"}';`,
    `    upstream sluice_baseline { ${options.baselineAddresses.map((a) => `server ${a};`).join(' ')} keepalive 32; }`,
    `    upstream sluice_candidate { ${options.candidateAddresses.map((a) => `server ${a};`).join(' ')} keepalive 32; }`,
    `    include ${paths.includePath};`,
    '    server {',
    `        listen 127.0.0.1:${port};`,
    `        access_log ${paths.accessLogPath} sluice_json;`,
    '        location / {',
    '            proxy_pass http://$sluice_upstream;',
    '            proxy_http_version 1.1;',
    '            proxy_set_header Connection "";',
    ...(options.locationDirectives ?? []).map((d) => `            ${d}`),
    '        }',
    '    }',
    '}',
    '',
  ].join('\n');
  await writeFile(paths.mainConfigPath, mainConfig);
  await writeFile(paths.includePath, renderInclude({ ...adapterOptions, hashKey: { kind: 'request' }, overrideHeader: 'x-sluice-variant', overrideCookie: 'sluice_variant', variablePrefix: 'sluice' }, { weightPercent: 0, generation: 0 }, 'private-nginx'));

  const stop = async (): Promise<void> => {
    const pid = await readMasterPid(paths.pidFile).catch(() => undefined);
    if (pid !== undefined && isProcessAlive(pid)) {
      const children = (await listChildPids(pid)) ?? new Set<number>();
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + startTimeoutMs;
      while (isProcessAlive(pid) && Date.now() < deadline) await sleepMs(20);
      for (const p of [pid, ...children]) if (isProcessAlive(p)) process.kill(p, 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await run(binary, ['-p', `${dir}/`, '-c', paths.mainConfigPath, '-g', globalDirectives], startTimeoutMs);
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      const pid = await readMasterPid(paths.pidFile).catch(() => undefined);
      if (pid !== undefined && ((await listChildPids(pid))?.size ?? 1) > 0) break;
      if (Date.now() > deadline) throw new Error(`nginx did not write ${paths.pidFile} and start workers within ${startTimeoutMs} ms`);
      await sleepMs(20);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    dir,
    binary,
    ...paths,
    port,
    url: `http://127.0.0.1:${port}`,
    markerListen,
    globalDirectives,
    adapterOptions,
    masterPid: () => readMasterPid(paths.pidFile),
    workerPids: async () => (await listChildPids(await readMasterPid(paths.pidFile))) ?? new Set(),
    reopenLogs: async () => void process.kill(await readMasterPid(paths.pidFile), 'SIGUSR1'),
    stop,
  };
}
