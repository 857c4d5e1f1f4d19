import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { resolveDaemonConfig } from '../config/daemonConfig.js';
import { Daemon } from '../Daemon.js';
import { FUZZ_WINDOW_MS, ledgerSpec, leavesLoopback, SAMPLES_ROLLOUT, WINDOWS_ROLLOUT, type FuzzRequest } from './fuzzInputs.js';

export const FUZZ_TOKEN = 'fuzz-token-0123456789abcdef';
/** One request's answer must come within this; the daemon's own timeouts are longer, so this catches a hang. */
const ANSWER_MS_MAX = 30_000;

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** What the fuzz run counted, for the test's assertions and the long run's table (docs/reliability.md). */
export interface FuzzTally {
  cases: number;
  /** Cases not sent: the generated path is not a valid HTTP request line, or the body names a non-loopback host. */
  skipped: number;
  byStatus: Record<string, number>;
  byEndpoint: Record<string, number>;
  failures: string[];
  /** Requests (samples, and window counts) the daemon acknowledged with 200/207, per ledger rollout. */
  acknowledged: Record<string, number>;
}

/**
 * A daemon on a scratch log with a logger that keeps what it writes, the two ledger rollouts created, and the checks
 * every answer must pass: no 5xx, a JSON error with a stable code and a message for every 4xx, issues with a path for
 * refused specs, nothing logged at error level, and every acknowledged sample in the log in the end.
 */
export class FuzzTarget {
  readonly dir: string;
  readonly logs: { level: number; msg: string; [key: string]: unknown }[] = [];
  readonly tally: FuzzTally = { cases: 0, skipped: 0, byStatus: {}, byEndpoint: {}, failures: [], acknowledged: { [SAMPLES_ROLLOUT]: 0, [WINDOWS_ROLLOUT]: 0 } };
  daemon!: Daemon;
  #logsCheckedTo = 0;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async start(): Promise<FuzzTarget> {
    const target = new FuzzTarget(mkdtempSync(join(tmpdir(), 'sluice-fuzz-')));
    await target.#startDaemon();
    for (const id of [SAMPLES_ROLLOUT, WINDOWS_ROLLOUT]) {
      const created = await target.send({ family: 'structured', endpoint: 'setup', method: 'POST', path: '/v1/rollouts', headers: target.#auth(), body: Buffer.from(ledgerSpec(id)) });
      if (created.status !== 201) throw new Error(`setting up ${id}: ${created.status} ${created.text}`);
    }
    return target;
  }

  async #startDaemon(): Promise<void> {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of chunk.toString('utf8').split('\n')) if (line) this.logs.push(JSON.parse(line) as FuzzTarget['logs'][number]);
        done();
      },
    });
    // 1 s windows are the default floor; the fuzzer's own rollouts use them, and fuzzed specs are checked against it.
    const config = resolveDaemonConfig({ flags: { db: join(this.dir, 'fuzz.db'), listen: '127.0.0.1:0', tickMs: 50, windowGraceMs: 100 }, env: {} });
    this.daemon = await Daemon.start({ config, token: FUZZ_TOKEN, logger: pino({ level: 'info' }, sink), processMetrics: false });
  }

  #auth(): Record<string, string> {
    return { authorization: `Bearer ${FUZZ_TOKEN}` };
  }

  /** Sends a request over a fresh connection; rejects only when the request could not be sent at all. */
  send(req: FuzzRequest): Promise<Answer> {
    const url = new URL(this.daemon.url);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        { host: url.hostname, port: url.port, method: req.method, path: req.path, headers: { ...req.headers, connection: 'close' }, timeout: ANSWER_MS_MAX, agent: false },
        (res) => {
          // An event stream stays open: its status and head are the answer.
          if (res.statusCode === 200 && String(res.headers['content-type']).startsWith('text/event-stream')) {
            resolve({ status: 200, headers: res.headers, text: '' });
            outgoing.destroy();
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${ANSWER_MS_MAX} ms: the daemon hangs on ${req.method} ${req.path}`)));
      outgoing.on('error', reject);
      outgoing.end(req.body);
    });
  }

  /** Sends one fuzz case and checks its answer; problems go to `tally.failures` (with the case, shortened). */
  async run(req: FuzzRequest): Promise<void> {
    if (leavesLoopback(req.body)) {
      this.tally.skipped++;
      return;
    }
    let answer: Answer;
    try {
      answer = await this.send(req);
    } catch (error) {
      // node:http refuses some generated paths and header values before sending: not a case for the daemon.
      if ((error as NodeJS.ErrnoException).code === 'ERR_UNESCAPED_CHARACTERS' || (error as NodeJS.ErrnoException).code === 'ERR_INVALID_CHAR') {
        this.tally.skipped++;
        return;
      }
      this.#fail(req, `no answer: ${(error as Error).message}`);
      return;
    }
    this.tally.cases++;
    this.tally.byStatus[answer.status] = (this.tally.byStatus[answer.status] ?? 0) + 1;
    this.tally.byEndpoint[`${req.endpoint}/${req.family}`] = (this.tally.byEndpoint[`${req.endpoint}/${req.family}`] ?? 0) + 1;
    const problem = checkAnswer(req, answer);
    if (problem) this.#fail(req, problem);
    else this.#count(req, answer);
    for (; this.#logsCheckedTo < this.logs.length; this.#logsCheckedTo++) {
      const line = this.logs[this.#logsCheckedTo]!;
      if (line.level >= 50) this.#fail(req, `logged at error: ${line.msg} ${JSON.stringify(line.err ?? '').slice(0, 300)}`);
    }
  }

  #fail(req: FuzzRequest, problem: string): void {
    const body = req.body ? req.body.toString('utf8') : '';
    this.tally.failures.push(`${problem}\n  case: ${req.family} ${req.method} ${req.path} ${JSON.stringify(req.headers)} body(${req.body?.length ?? 0}): ${JSON.stringify(body.slice(0, 300))}`);
  }

  /** Adds what a sample or window batch acknowledged to the ledger. */
  #count(req: FuzzRequest, answer: Answer): void {
    if (req.method !== 'POST' || (answer.status !== 200 && answer.status !== 207)) return;
    const match = /^\/v1\/rollouts\/([^/]+)\/(samples|windows)$/.exec(req.path);
    const rolloutId = match?.[1];
    if (rolloutId === undefined || !(rolloutId in this.tally.acknowledged)) return;
    if (match![2] === 'samples') {
      this.tally.acknowledged[rolloutId]! += (JSON.parse(answer.text) as { accepted: number }).accepted;
    } else {
      const { rejected, rejectedCount } = JSON.parse(answer.text) as { rejected: { line: number }[]; rejectedCount: number };
      if (rejectedCount !== rejected.length) this.tally.failures.push(`windows batch rejected ${rejectedCount} lines but listed ${rejected.length}; the fuzzer keeps batches small enough to list all`);
      const refused = new Set(rejected.map((r) => r.line));
      (req.body?.toString('utf8') ?? '').split('\n').forEach((line, i) => {
        if (line.trim() === '' || refused.has(i + 1)) return;
        this.tally.acknowledged[rolloutId]! += (JSON.parse(line) as { count: number }).count;
      });
    }
  }

  /** Counts in the log's windows of a ledger rollout (canary and baseline). */
  loggedCount(rolloutId: string): number {
    let total = 0;
    for (const event of this.daemon.log.read(rolloutId)) {
      if (event.type !== 'samples.window') continue;
      const data = event.data as { canary: { count: number }; baseline: { count: number } };
      total += data.canary.count + data.baseline.count;
    }
    return total;
  }

  /**
   * Nothing acknowledged is lost: once the open windows have closed, the log holds every acknowledged sample and
   * window count, once — and again after a restart of the daemon on the same log. Returns the problems found.
   */
  async checkNothingLost(restart: boolean): Promise<string[]> {
    const problems: string[] = [];
    const expected = { ...this.tally.acknowledged };
    const settled = async (): Promise<boolean> => {
      // Bounded wait for windows to close: each is 1 s long with a 100 ms grace; allow many of them.
      for (let attempt = 0; attempt < 200; attempt++) {
        if (Object.entries(expected).every(([id, count]) => this.loggedCount(id) >= count)) return true;
        await new Promise((resolve) => setTimeout(resolve, FUZZ_WINDOW_MS / 10));
      }
      return false;
    };
    await settled();
    for (const [id, count] of Object.entries(expected)) {
      const logged = this.loggedCount(id);
      if (logged !== count) problems.push(`${id}: ${count} acknowledged, ${logged} in the log`);
    }
    if (restart) {
      const ids = this.daemon.log.listRollouts().map((r) => r.rolloutId).sort();
      await this.daemon.stop();
      await this.#startDaemon();
      const after = this.daemon.log.listRollouts().map((r) => r.rolloutId).sort();
      if (JSON.stringify(after) !== JSON.stringify(ids)) problems.push(`rollouts before the restart ${JSON.stringify(ids)}, after ${JSON.stringify(after)}`);
      const ready = await this.send({ family: 'structured', endpoint: 'check', method: 'GET', path: '/readyz', headers: {} });
      if (ready.status !== 200) problems.push(`after the restart /readyz answers ${ready.status}: ${ready.text.slice(0, 500)}`);
      for (const id of ids) {
        const read = await this.send({ family: 'structured', endpoint: 'check', method: 'GET', path: `/v1/rollouts/${encodeURIComponent(id)}`, headers: this.#auth() });
        if (read.status !== 200) problems.push(`after the restart rollout ${id} answers ${read.status}: ${read.text.slice(0, 300)}`);
      }
      for (const [id, count] of Object.entries(expected)) {
        const logged = this.loggedCount(id);
        if (logged !== count) problems.push(`after the restart ${id}: ${count} acknowledged, ${logged} in the log`);
      }
    }
    for (const line of this.logs.slice(this.#logsCheckedTo)) if (line.level >= 50) problems.push(`logged at error: ${line.msg}`);
    return problems;
  }

  async stop(): Promise<void> {
    await this.daemon.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The oracle: what every answer must be, whatever was sent. Returns a problem, or undefined. */
export function checkAnswer(req: FuzzRequest, answer: Answer): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.text.slice(0, 500)}`;
  if (answer.status < 400) return undefined;
  let body: { error?: { code?: unknown; message?: unknown; issues?: unknown } };
  try {
    body = JSON.parse(answer.text) as typeof body;
  } catch {
    return `a ${answer.status} whose body is not JSON: ${answer.text.slice(0, 200)}`;
  }
  const error = body.error;
  if (!error || typeof error.code !== 'string' || !/^SLUICE_E_[A-Z_]+$/.test(error.code)) return `a ${answer.status} without an error code: ${answer.text.slice(0, 300)}`;
  if (typeof error.message !== 'string' || error.message.length === 0) return `a ${answer.status} without a message`;
  if (error.code === 'SLUICE_E_SPEC_INVALID' || error.code === 'SLUICE_E_SPEC_PARSE' || error.code === 'SLUICE_E_ADAPTER_OPTIONS') {
    const issues = error.issues as { path?: unknown; message?: unknown; line?: unknown }[] | undefined;
    if (!Array.isArray(issues) || issues.length === 0) return `a refused spec without issues: ${answer.text.slice(0, 300)}`;
    for (const issue of issues) {
      // Where: a field path (`stages[0].weightPercent`; '' is the document itself, e.g. for an unknown top-level field).
      if (typeof issue.path !== 'string' || typeof issue.message !== 'string' || issue.message.length === 0) return `an issue without a path or message: ${JSON.stringify(issue).slice(0, 300)}`;
    }
  }
  if (JSON.stringify(body).length > 64 * 1024) return `a ${answer.status} of ${JSON.stringify(body).length} characters: answers must not echo what was sent`;
  const sent = req.body?.toString('utf8') ?? '';
  if (/got null/.test(String(error.message)) && sent.startsWith('{') && !sent.includes('null')) return `a value shown as null that was not null (Infinity?): ${String(error.message).slice(0, 300)}`;
  return undefined;
}
