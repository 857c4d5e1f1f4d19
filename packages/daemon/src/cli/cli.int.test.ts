import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, TEST_TOKEN } from '../testing/startTestDaemon.js';
import { EXIT } from './exitCodes.js';
import { runCli } from '../testing/runCli.js';

type TestDaemon = Awaited<ReturnType<typeof startTestDaemon>>;
let running: TestDaemon | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const run = (args: string[]) => runCli(...args);

async function setUp() {
  running = await startTestDaemon();
  const tokenFile = join(running.dir, 'token');
  writeFileSync(tokenFile, `${TEST_TOKEN}\n`);
  const specFile = join(running.dir, 'spec.yaml');
  writeFileSync(
    specFile,
    ['id: cli-rollout', 'service: checkout', 'baseline: v1', 'candidate: v2', 'window: 200', 'stages:', '  - name: canary', '    weightPercent: 5', '    durationMin: 1h', '    samplesMin: 10', ''].join('\n'),
  );
  return { client: ['--url', running.daemon.url, '--token-file', tokenFile], specFile };
}

describe('sluice CLI against a daemon', () => {
  it('says how to reach the daemon and exits 3 when it is not running', async () => {
    const { code, err } = await run(['status', '--url', 'http://127.0.0.1:1']);
    expect(code).toBe(EXIT.unreachable);
    expect(err).toMatch(/daemon not reachable at 127\.0\.0\.1:1 .*start it with `sluice daemon`/);
  });

  it('refuses a --url that is not a URL as a bad flag (exit 2), not as an unreachable daemon', async () => {
    const { code, err } = await run(['status', '--url', 'notaurl:::']);
    expect(code).toBe(EXIT.usage);
    expect(err).toMatch(/--url "notaurl:::" is not an http\(s\) URL or host:port/);
    expect((await run(['status', '--url', 'ftp://127.0.0.1:7400'])).code).toBe(EXIT.usage);
  });

  it('refuses a --db the daemon cannot create or that is not a Sluice log as a bad flag (exit 2), not as a bug (70)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-db-'));
    try {
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, `${TEST_TOKEN}\n`);
      writeFileSync(join(dir, 'notes.db'), 'not a database');
      const uncreatable = await run(['daemon', '--db', join(tokenFile, 'sluice.db'), '--token-file', tokenFile, '--listen', '127.0.0.1:0']);
      expect(uncreatable.code).toBe(EXIT.usage);
      expect(uncreatable.err).toMatch(/cannot create the directory of --db .*token\/sluice\.db: .* — pass a --db path in a directory the daemon can write/);
      const foreign = await run(['daemon', '--db', join(dir, 'notes.db'), '--token-file', tokenFile, '--listen', '127.0.0.1:0']);
      expect(foreign.code).toBe(EXIT.usage);
      expect(foreign.err).toMatch(/notes\.db is not a SQLite database .*: not a Sluice event log, or a damaged one — check the --db path/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names each bad demo flag with the value given, before starting anything (exit 2)', async () => {
    const { code, err } = await run(['demo', '--fault-rate', '2', '--rps', '12.5']);
    expect(code).toBe(EXIT.usage);
    expect(err).toBe('sluice demo: --fault-rate must be a number within 0–1 (got "2")\nsluice demo: --rps must be an integer within 10–5000 (got "12.5")\n');
  });

  it('starts, shows, pauses and resumes a rollout, in human and JSON output', async () => {
    const { client, specFile } = await setUp();
    const started = await run(['start', specFile, ...client]);
    expect(started.code).toBe(EXIT.ok);
    expect(started.out).toMatch(/created: cli-rollout/);
    expect((await run(['start', specFile, ...client])).out).toMatch(/already exists/);
    const status = await run(['status', 'cli-rollout', '--json', ...client]);
    expect(JSON.parse(status.out)).toMatchObject({ id: 'cli-rollout', state: { phase: 'progressing', stageName: 'canary' } });
    expect((await run(['status', ...client])).out).toMatch(/cli-rollout\s+progressing/);
    expect((await run(['pause', 'cli-rollout', '--reason', 'lunch', ...client])).out).toMatch(/phase\s+paused/);
    const again = await run(['pause', 'cli-rollout', ...client]);
    expect(again.code).toBe(EXIT.failure);
    expect(again.err).toMatch(/pause rejected/);
    expect((await run(['resume', 'cli-rollout', ...client])).code).toBe(EXIT.ok);
    const events = await run(['events', 'cli-rollout', '--json', ...client]);
    const types = events.out.trim().split('\n').map((line) => JSON.parse(line).type);
    expect(types).toContain('paused');
    expect(types).toContain('command.rejected');
  });

  it('watch exits with the code that says how the rollout ended', async () => {
    const { client, specFile } = await setUp();
    await run(['start', specFile, ...client]);
    const watching = run(['watch', 'cli-rollout', ...client]);
    await run(['rollback', 'cli-rollout', '--reason', 'test', ...client]);
    const watched = await watching;
    expect(watched.code).toBe(EXIT.rolledBack);
    expect(watched.out).toMatch(/phase\s+rolledBack/);
  });

  it('refuses an unreadable spec file with a clear message', async () => {
    const { client } = await setUp();
    const { code, err } = await run(['start', '/no/such/spec.yaml', ...client]);
    expect(code).toBe(EXIT.usage);
    expect(err).toMatch(/cannot read spec file \/no\/such\/spec\.yaml: the file does not exist/);
  });

  it('refuses an invalid spec before calling the daemon, naming the file, each line and field (exit 2)', async () => {
    const { client } = await setUp();
    const specFile = join(running!.dir, 'broken.yaml');
    writeFileSync(specFile, ['id: Bad Id', 'service: checkout', 'baseline: v1', 'candidate: v2', 'stages:', '  - name: canary', '    weightPercent: 150', ''].join('\n'));
    const { code, err } = await run(['start', specFile, ...client]);
    expect(code).toBe(EXIT.usage);
    // Before, the daemon's answer named only "request body".
    expect(err).toMatch(/broken\.yaml: invalid rollout spec, 2 problem\(s\)/);
    expect(err).toMatch(/line 1, id: .*got "Bad Id"/);
    expect(err).toMatch(/line 7, stages\[0\]\.weightPercent: .*got 150/);
    expect((await run(['status', ...client, '--json'])).out).not.toMatch(/Bad Id/);
  });

  it("names the spec file in the daemon's own spec problems, not the request body", async () => {
    const { client } = await setUp();
    const specFile = join(running!.dir, 'adapter.yaml');
    writeFileSync(specFile, ['id: cli-adapter', 'service: checkout', 'baseline: v1', 'candidate: v2', 'adapter:', '  type: inprocess', '  options:', '    adminUrl: not a url', ''].join('\n'));
    const { code, err } = await run(['start', specFile, ...client]);
    expect(code).toBe(EXIT.failure);
    expect(err).toMatch(/daemon answered 422 SLUICE_E_ADAPTER_OPTIONS: \S*adapter\.yaml: inprocess adapter options: invalid/);
    expect(err).not.toMatch(/request body/);
  });
});
