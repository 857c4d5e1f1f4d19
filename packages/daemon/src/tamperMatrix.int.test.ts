import Database from 'better-sqlite3';
import { chainKeyFromSecret, chainLink, EventLog, eventHash, verifyLog, type ChainKey } from '@sluice/core';
import { copyFileSync, existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonClient } from './client/DaemonClient.js';
import { resolveDaemonConfig } from './config/daemonConfig.js';
import { Daemon } from './Daemon.js';
import { journalKeyFileOf } from './ingest/IngestJournal.js';
import { createLogger } from './logger.js';
import { runCli } from './testing/runCli.js';
import { TEST_TOKEN } from './testing/startTestDaemon.js';

/**
 * The tamper matrix (issue 11): every kind of edit someone with write access to the file can make — to a row's content,
 * type or time; deleting the first, a middle or the last row; renumbering or swapping sequence numbers; inserting rows;
 * forging ingest journal rows; truncating the file, overwriting bytes in its middle, emptying it. For each, `sluice
 * verify` names what and where (exit 1, or exit 2 for a file SQLite cannot read), and the daemon refuses to start on
 * it (exit 2) instead of serving and appending. The base log is written by a real daemon: two rollouts with windows,
 * decisions and acknowledged samples still waiting in the ingest journal.
 */
let dir = '';
let base = '';
let keyedBase = '';
const key: ChainKey = chainKeyFromSecret(Buffer.from('tamper-matrix-chain-key-0123456789abcdef'));
const keyFile = (): string => join(dir, 'chain.key');

const spec = (id: string): string =>
  JSON.stringify({ id, service: 'checkout', baseline: 'v1', candidate: 'v2', window: 200, stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', gates: [{ kind: 'errorRate', maxPercent: 20, samplesMin: 20 }] }] });

const samples = (at?: number): string =>
  Array.from({ length: 40 }, (_, i) => JSON.stringify({ variant: i % 2 ? 'canary' : 'baseline', ok: true, latencyMs: 5 + i, ...(at ? { at } : {}) })).join('\n');

/** Writes a realistic log with a real daemon and stops it with samples of an open window still in the journal. */
async function writeBaseLog(file: string, extraFlags: Record<string, unknown> = {}): Promise<void> {
  const config = resolveDaemonConfig({ flags: { db: file, listen: '127.0.0.1:0', tickMs: 20, windowGraceMs: 20, windowMsMin: 100, ...extraFlags }, env: {} });
  const daemon = await Daemon.start({ config, token: TEST_TOKEN, logger: createLogger('silent'), processMetrics: false });
  try {
    const client = new DaemonClient({ url: daemon.url, token: TEST_TOKEN });
    for (const id of ['alpha', 'beta']) expect((await client.createRollout(spec(id))).status).toBe(201);
    for (let round = 0; round < 3; round++) {
      for (const id of ['alpha', 'beta']) expect((await client.postSamples(id, samples())).status).toBe(200);
      // A bounded wait for a window to close: the scheduler appends it (virtual time is not available across HTTP).
      const log = daemon.log;
      const before = log.logHead()?.seq ?? 0;
      for (let i = 0; i < 200 && (log.logHead()?.seq ?? 0) === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Dated in the next window but one: still open at stop, so these stay in the ingest journal.
    expect((await client.postSamples('alpha', samples(Date.now() + 400))).status).toBe(200);
  } finally {
    await daemon.stop();
  }
}

function copyOf(source: string, name: string): string {
  const target = join(dir, name);
  copyFileSync(source, target);
  if (existsSync(journalKeyFileOf(source))) copyFileSync(journalKeyFileOf(source), journalKeyFileOf(target));
  return target;
}

/** What an attacker with file access does: drop the guards, then run `sql`. */
function tamper(file: string, sql: string): void {
  const raw = new Database(file);
  raw.exec(`DROP TRIGGER IF EXISTS events_refuse_update; DROP TRIGGER IF EXISTS events_refuse_delete;
            DROP TRIGGER IF EXISTS chain_heads_refuse_delete; DROP TRIGGER IF EXISTS chain_heads_only_forward;`);
  raw.exec(sql);
  raw.close();
}

function rowCount(file: string, sql: string): number {
  const raw = new Database(file, { readonly: true });
  try {
    return (raw.prepare(sql).get() as { n: number }).n;
  } finally {
    raw.close();
  }
}

async function daemonRefuses(file: string, extraFlags: Record<string, unknown> = {}): Promise<string> {
  const config = resolveDaemonConfig({ flags: { db: file, listen: '127.0.0.1:0', windowMsMin: 100, ...extraFlags }, env: {} });
  let refusal: unknown;
  try {
    const daemon = await Daemon.start({ config, token: TEST_TOKEN, logger: createLogger('silent'), processMetrics: false });
    await daemon.stop();
  } catch (error) {
    refusal = error;
  }
  expect(refusal, `the daemon started on ${file}`).toMatchObject({ code: 'SLUICE_E_CONFIG_INVALID' });
  return (refusal as Error).message;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-tamper-'));
  base = join(dir, 'base.db');
  await writeBaseLog(base);
  writeFileSync(keyFile(), 'tamper-matrix-chain-key-0123456789abcdef\n');
  keyedBase = join(dir, 'keyed.db');
  await writeBaseLog(keyedBase, { chainKeyFile: keyFile() });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  name: string;
  edit(file: string): void;
  /** What verify reports: the fields of the broken link. */
  broken: Record<string, unknown>;
}

// Sequence numbers of the base log: alpha's and beta's rows interleave; the last row of the log is someone's last.
const CASES: Case[] = [
  { name: 'row content edited', edit: (f) => tamper(f, `UPDATE events SET data = '{"reason":"nothing to see"}' WHERE rollout_id = 'alpha' AND position = 2`), broken: { rolloutId: 'alpha', position: 2, reason: expect.stringMatching(/hash does not match/) } },
  { name: 'row type edited', edit: (f) => tamper(f, `UPDATE events SET type = 'completed' WHERE rollout_id = 'beta' AND position = 1`), broken: { rolloutId: 'beta', position: 1, reason: expect.stringMatching(/hash does not match/) } },
  { name: 'row time edited', edit: (f) => tamper(f, `UPDATE events SET at = at - 3600000 WHERE rollout_id = 'alpha' AND position = 3`), broken: { rolloutId: 'alpha', position: 3, reason: expect.stringMatching(/hash does not match/) } },
  { name: 'first row deleted', edit: (f) => tamper(f, `DELETE FROM events WHERE rollout_id = 'beta' AND position = 0`), broken: { rolloutId: 'beta', position: 0, reason: expect.stringMatching(/position 0 is missing/) } },
  { name: 'middle row deleted', edit: (f) => tamper(f, `DELETE FROM events WHERE rollout_id = 'alpha' AND position = 2`), broken: { rolloutId: 'alpha', position: 2, reason: expect.stringMatching(/position 2 is missing/) } },
  {
    name: "a rollout's last row deleted",
    edit: (f) => tamper(f, `DELETE FROM events WHERE seq = (SELECT max(seq) FROM events WHERE rollout_id = 'beta')`),
    broken: { rolloutId: 'beta', reason: expect.stringMatching(/the last 1 event\(s\) were deleted/) },
  },
  {
    name: "the log's last row deleted and sqlite_sequence lowered",
    edit: (f) => tamper(f, `DELETE FROM events WHERE seq = (SELECT max(seq) FROM events); UPDATE sqlite_sequence SET seq = (SELECT max(seq) FROM events) WHERE name = 'events'`),
    broken: { reason: expect.stringMatching(/the last 1 event\(s\) were deleted/) },
  },
  {
    // beta's first row and the alpha row just before it: each rollout's own order is unchanged, so only the log-wide
    // chain can tell (before it, this one-statement edit passed verify).
    name: "two rows' sequence numbers swapped",
    edit: (f) => {
      const x = rowCount(f, `SELECT min(seq) AS n FROM events WHERE rollout_id = 'beta'`);
      tamper(f, `UPDATE events SET seq = -1 WHERE seq = ${x}; UPDATE events SET seq = ${x} WHERE seq = ${x - 1}; UPDATE events SET seq = ${x - 1} WHERE seq = -1;`);
    },
    broken: { rolloutId: 'beta', position: 0, reason: expect.stringMatching(/log-wide chain link does not match/) },
  },
  { name: 'a row renumbered (gap)', edit: (f) => tamper(f, `UPDATE events SET seq = seq + 1 WHERE seq = (SELECT max(seq) FROM events)`), broken: { reason: expect.stringMatching(/missing|does not match/) } },
  {
    name: 'a row inserted with a valid rollout hash',
    edit: (f) => {
      const raw = new Database(f, { readonly: true });
      const head = raw.prepare(`SELECT position, hash FROM events WHERE rollout_id = 'alpha' ORDER BY position DESC LIMIT 1`).get() as { position: number; hash: string };
      raw.close();
      const dataJson = '{"command":"promote"}';
      const at = 1_700_000_000_000;
      const hash = eventHash(head.hash, { rolloutId: 'alpha', position: head.position + 1, type: 'command.issued', version: 1, at, dataJson });
      tamper(f, `INSERT INTO events (rollout_id, position, type, version, at, data, prev_hash, hash) VALUES ('alpha', ${head.position + 1}, 'command.issued', 1, ${at}, '${dataJson}', '${head.hash}', '${hash}')`);
    },
    broken: { rolloutId: 'alpha', reason: expect.stringMatching(/inserted outside Sluice/) },
  },
  { name: 'a head deleted', edit: (f) => tamper(f, `DELETE FROM chain_heads WHERE rollout_id = 'alpha'`), broken: { rolloutId: 'alpha', reason: expect.stringMatching(/no stored head/) } },
];

describe('tamper matrix: verify names what and where, the daemon refuses to start', () => {
  it('the untouched base log verifies, has journal rows waiting, and the daemon starts on it', async () => {
    expect((await runCli('verify', '--db', base)).code).toBe(0);
    expect(rowCount(base, 'SELECT count(*) AS n FROM sluice_daemon_ingest_journal')).toBeGreaterThan(0);
    const copy = copyOf(base, 'intact.db');
    const config = resolveDaemonConfig({ flags: { db: copy, listen: '127.0.0.1:0', windowMsMin: 100 }, env: {} });
    const daemon = await Daemon.start({ config, token: TEST_TOKEN, logger: createLogger('silent'), processMetrics: false });
    expect(daemon.logHead()).toMatchObject({ integrity: expect.stringMatching(/verif/) });
    await daemon.stop();
  });

  it.each(CASES)('$name', async ({ name, edit, broken }) => {
    const file = copyOf(base, `${name.replace(/\W+/g, '-')}.db`);
    edit(file);
    const verify = await runCli('verify', '--db', file, '--json');
    expect(verify.code).toBe(1);
    expect(JSON.parse(verify.out)).toMatchObject({ ok: false, broken });
    const message = await daemonRefuses(file);
    expect(message).toMatch(/the event log does not verify — .+/);
  });

  it('a journal row inserted: the daemon would log its forged samples as a window', async () => {
    const file = copyOf(base, 'journal-insert.db');
    const raw = new Database(file);
    raw.prepare(`INSERT INTO sluice_daemon_ingest_journal (rollout_id, window_start_at, variant, count, errors) SELECT rollout_id, window_start_at, 'canary', 100000, 0 FROM sluice_daemon_ingest_journal LIMIT 1`).run();
    raw.close();
    const verify = await runCli('verify', '--db', file);
    expect(verify.code).toBe(1);
    expect(verify.out).toMatch(/BROKEN: .*ingest journal row \d+ \(rollout alpha, .*canary, 100000 samples\): the row has no seal/);
    expect(await daemonRefuses(file)).toMatch(/ingest journal row \d+/);
  });

  it('a journal row edited (its count raised)', async () => {
    const file = copyOf(base, 'journal-edit.db');
    tamper(file, `UPDATE sluice_daemon_ingest_journal SET count = count + 1000 WHERE id = (SELECT min(id) FROM sluice_daemon_ingest_journal)`);
    const verify = await runCli('verify', '--db', file);
    expect(verify.code).toBe(1);
    expect(verify.out).toMatch(/ingest journal row \d+ .*: the seal does not match/);
    expect(await daemonRefuses(file)).toMatch(/ingest journal row/);
  });

  it('the file truncated', async () => {
    const file = copyOf(base, 'truncated.db');
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const verify = await runCli('verify', '--db', file);
    expect(verify.code).toBe(2);
    expect(verify.err).toMatch(/is truncated: its header says \d+ pages/);
    expect(await daemonRefuses(file)).toMatch(/is truncated/);
  });

  it('bytes overwritten in the middle of the file', async () => {
    const file = copyOf(base, 'bytes.db');
    // The first bytes of the events table's root page — its b-tree page header — overwritten: a run in the middle of
    // the file that is certainly in use (a small log has much free space, where no check could see anything).
    const raw = new Database(file, { readonly: true });
    const { rootpage } = raw.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'events'").get() as { rootpage: number };
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    raw.close();
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(16, 0xa5), 0, 16, (rootpage - 1) * pageSize);
    closeSync(fd);
    const verify = await runCli('verify', '--db', file);
    expect(verify.code, verify.out + verify.err).not.toBe(0);
    expect(verify.err + verify.out).toMatch(/damaged|BROKEN/);
    expect(await daemonRefuses(file)).toMatch(/damaged|does not verify/);
  });

  it('the file emptied', async () => {
    const file = join(dir, 'empty.db');
    writeFileSync(file, '');
    const verify = await runCli('verify', '--db', file);
    expect(verify.code).toBe(2);
    expect(verify.err).toMatch(/is empty \(0 bytes\)/);
    expect(await daemonRefuses(file)).toMatch(/is empty \(0 bytes\): not a Sluice event log/);
    // The command itself: exit 2 with the reason on stderr, no stack trace.
    writeFileSync(join(dir, 'token'), `${TEST_TOKEN}\n`);
    const daemon = await runCli('daemon', '--db', file, '--listen', '127.0.0.1:0', '--token-file', join(dir, 'token'));
    expect(daemon.code).toBe(2);
    expect(daemon.err).toMatch(/^sluice: .*empty\.db is empty \(0 bytes\)/);
    expect(daemon.err).not.toMatch(/\n\s+at /);
    // Never silently a new log: the file is still empty.
    expect(readFileSync(file).length).toBe(0);
  });

  describe('keyed chain: what the unkeyed chain cannot catch', () => {
    /** An attacker who knows the format but not the key: deletes the last row and rewinds the head consistently. */
    function deleteLastAndRewind(file: string): void {
      const raw = new Database(file);
      const last = raw.prepare('SELECT seq, rollout_id FROM events ORDER BY seq DESC LIMIT 1').get() as { seq: number; rollout_id: string };
      const previous = raw.prepare('SELECT seq, position, hash, link FROM events WHERE rollout_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1').get(last.rollout_id, last.seq) as { seq: number; position: number; hash: string; link: string };
      raw.close();
      tamper(file, `DELETE FROM events WHERE seq = ${last.seq}; UPDATE sqlite_sequence SET seq = ${last.seq - 1} WHERE name = 'events';
                    UPDATE chain_heads SET position = ${previous.position}, hash = '${previous.hash}', seq = ${previous.seq}, link = '${previous.link}' WHERE rollout_id = '${last.rollout_id}'`);
    }

    it('unkeyed, a consistent rewind of the end is invisible in the file (the head held outside shows it)', async () => {
      const file = copyOf(base, 'rewind-unkeyed.db');
      const before = EventLog.open(file, { readonly: true });
      const headBefore = before.logHead()!;
      before.close();
      deleteLastAndRewind(file);
      const log = EventLog.open(file, { readonly: true });
      expect(verifyLog(log).ok).toBe(true);
      // The outside holder of the head sees the log went back.
      expect(log.logHead()!.seq).toBeLessThan(headBefore.seq);
      log.close();
    });

    it('keyed, the same rewind breaks the head seal', async () => {
      const file = copyOf(keyedBase, 'rewind-keyed.db');
      deleteLastAndRewind(file);
      const verify = await runCli('verify', '--db', file, '--chain-key-file', keyFile(), '--json');
      expect(verify.code).toBe(1);
      expect(JSON.parse(verify.out)).toMatchObject({ broken: { reason: expect.stringMatching(/seal of its head does not match/) } });
      expect(await daemonRefuses(file, { chainKeyFile: keyFile() })).toMatch(/seal of its head/);
    });

    it('keyed, a row rewritten with every unkeyed hash and link recomputed is caught', async () => {
      const file = copyOf(keyedBase, 'rewrite-keyed.db');
      const raw = new Database(file);
      const row = raw.prepare(`SELECT * FROM events WHERE rollout_id = 'alpha' ORDER BY position DESC LIMIT 1`).get() as Record<string, never>;
      const prev = raw.prepare('SELECT link FROM events WHERE seq = ?').get((row['seq'] as number) - 1) as { link: string };
      raw.close();
      const dataJson = '{"command":"promote"}';
      const hash = eventHash(row['prev_hash'], { rolloutId: 'alpha', position: row['position'], type: 'command.issued', version: 1, at: row['at'], dataJson });
      const link = chainLink(prev.link, row['seq'], hash, undefined);
      tamper(file, `UPDATE events SET type = 'command.issued', version = 1, data = '${dataJson}', hash = '${hash}', link = '${link}' WHERE seq = ${row['seq']}`);
      const verify = await runCli('verify', '--db', file, '--chain-key-file', keyFile(), '--json');
      expect(verify.code).toBe(1);
      expect(JSON.parse(verify.out)).toMatchObject({ broken: { rolloutId: 'alpha', reason: expect.stringMatching(/link does not match|head/) } });
      // Without the key verify says the keyed part was not checked; with another key the daemon is refused.
      const unchecked = await runCli('verify', '--db', keyedBase, '--json');
      expect(JSON.parse(unchecked.out)).toMatchObject({ ok: true, keyed: { checked: false } });
      writeFileSync(join(dir, 'other.key'), 'another-chain-key-that-is-long-enough-0123456789\n');
      expect(await daemonRefuses(copyOf(keyedBase, 'wrongkey.db'), { chainKeyFile: join(dir, 'other.key') })).toMatch(/keyed with key id .* wrong key file/);
      expect(await daemonRefuses(copyOf(keyedBase, 'nokey.db'))).toMatch(/is a keyed log/);
      expect(key.id).toMatch(/^[0-9a-f]{16}$/);
    });
  });
});
