import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { NginxOptions } from './nginxOptions.js';
import { MARKER_PATH } from './renderInclude.js';

/** Output kept from one nginx command; nginx's messages are short, a larger output is cut. */
const COMMAND_OUTPUT_BYTES_MAX = 64 * 1024;
/** Largest marker response read. */
const MARKER_BODY_BYTES_MAX = 4_096;

type ControlOptions = Pick<NginxOptions, 'binary' | 'mainConfigPath' | 'prefix' | 'globalDirectives' | 'pidFile' | 'testTimeoutMs'>;

export interface CommandResult {
  ok: boolean;
  /** nginx's own words (it writes to stderr), trimmed. */
  output: string;
}

function commonArgs(options: ControlOptions): string[] {
  const args = ['-c', options.mainConfigPath];
  if (options.prefix) args.push('-p', options.prefix.endsWith('/') ? options.prefix : `${options.prefix}/`);
  if (options.globalDirectives) args.push('-g', options.globalDirectives);
  return args;
}

function run(options: ControlOptions, args: string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(options.binary, args, { timeout: options.testTimeoutMs, maxBuffer: COMMAND_OUTPUT_BYTES_MAX, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const output = `${stderr}${stdout}`.trim();
      if (!error) return resolve({ ok: true, output });
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `nginx binary "${options.binary}" not found` : error.killed ? `timed out after ${options.testTimeoutMs} ms` : '';
      resolve({ ok: false, output: [reason, output].filter(Boolean).join(': ') || error.message });
    });
  });
}

/** `nginx -t` against the real main config (with the instance's prefix and -g directives). */
export function testConfig(options: ControlOptions): Promise<CommandResult> {
  return run(options, ['-t', ...commonArgs(options)]);
}

/** Asks the master to reload, by SIGHUP to the pid in the pid file or by `nginx -s reload`. */
export async function reloadNginx(options: ControlOptions & Pick<NginxOptions, 'reloadWith'>): Promise<void> {
  if (options.reloadWith === 'command') {
    const result = await run(options, ['-s', 'reload', ...commonArgs(options)]);
    if (!result.ok) throw new Error(`nginx -s reload failed: ${result.output}`);
    return;
  }
  process.kill(await readMasterPid(options.pidFile), 'SIGHUP');
}

export async function readMasterPid(pidFile: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the nginx pid file ${pidFile} (${(error as Error).message}); is nginx running with this pid path?`);
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isSafeInteger(pid) || pid <= 1) throw new Error(`pid file ${pidFile} holds "${text.trim()}", not a pid`);
  return pid;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Children of the master (workers, cache manager) from /proc. Undefined where /proc is not available; callers then
 * rely on the pid the marker reports.
 */
export async function listChildPids(masterPid: number): Promise<Set<number> | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  const children = new Set<number>();
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        try {
          const stat = await readFile(`/proc/${e}/stat`, 'utf8');
          // Field 4 is the parent pid; the command name (field 2) may hold spaces, so parse after its closing ")".
          const parentPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          if (parentPid === masterPid) children.add(Number(e));
        } catch {
          // The process ended while we looked.
        }
      }),
  );
  return children;
}

export interface MarkerState {
  weightPercent: number;
  generation: number;
  /** Pid of the worker that answered. */
  pid: number;
}

/** GETs the generation marker on a fresh connection, so an old worker's keep-alive connection cannot answer. */
export function fetchMarker(listen: string, timeoutMs: number): Promise<MarkerState> {
  const separator = listen.lastIndexOf(':');
  const host = listen.slice(0, separator).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(separator + 1));
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: MARKER_PATH, agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > MARKER_BODY_BYTES_MAX) req.destroy(new Error('marker response too large'));
      });
      response.on('end', () => {
        try {
          const parsed = JSON.parse(body) as Partial<MarkerState>;
          if (response.statusCode !== 200 || typeof parsed.weightPercent !== 'number' || typeof parsed.generation !== 'number' || typeof parsed.pid !== 'number') {
            throw new Error(`status ${response.statusCode}, body ${body.slice(0, 200)}`);
          }
          resolve({ weightPercent: parsed.weightPercent, generation: parsed.generation, pid: parsed.pid });
        } catch (error) {
          reject(new Error(`marker http://${listen}${MARKER_PATH} answered unexpectedly: ${(error as Error).message}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`marker http://${listen}${MARKER_PATH} did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux architecture nginx runs on in practice. */
const CLOCK_TICKS_PER_SECOND = 100;

/** When a process started, ms since epoch (to about 10 ms), from /proc; undefined where /proc is not available. */
export async function processStartedAt(pid: number): Promise<number | undefined> {
  try {
    const [stat, uptime] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile('/proc/uptime', 'utf8')]);
    // /proc/stat's btime is in whole seconds; the uptime (centiseconds) against the wall clock places boot precisely.
    const bootedAt = Date.now() - Number(uptime.split(' ')[0]) * 1000;
    // Field 22 (starttime) counted from the field after the command name, which ends at the last ")".
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    if (!Number.isFinite(bootedAt) || !Number.isFinite(startTicks)) return undefined;
    return bootedAt + (startTicks / CLOCK_TICKS_PER_SECOND) * 1000;
  } catch {
    return undefined;
  }
}

/**
 * Whether every one of `pids` has stopped taking new connections: it exited, or it is an nginx worker in graceful
 * shutdown. nginx retitles a worker "worker process is shutting down" in the same step as it closes its listening
 * sockets, so after that only the new workers answer. Undefined where /proc is not available.
 */
export async function haveRetired(pids: Iterable<number>): Promise<boolean | undefined> {
  for (const pid of pids) {
    let title: string;
    try {
      title = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // exited
      return undefined;
    }
    if (title === '' || title.includes('shutting down')) continue; // a zombie has an empty command line
    return false;
  }
  return true;
}
