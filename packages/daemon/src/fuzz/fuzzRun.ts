/**
 * The long fuzz run (docs/reliability.md, "Fuzzing the inputs"): `scripts/fuzz.sh [--cases N] [--cli-cases M] [--seed S]`.
 * Sends N generated requests to one daemon (in this process, so a crash of the daemon is a crash of the run), then M
 * CLI file cases, then checks that every acknowledged sample is in the log, before and after a restart. Prints a table
 * and exits 1 on any failure, with the first failures and the seed that replays them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { resolveDaemonConfig } from '../config/daemonConfig.js';
import { runCli } from '../testing/runCli.js';
import { FUZZ_TOKEN, FuzzTarget } from './fuzzHarness.js';
import { fuzzFileText, fuzzRequest } from './fuzzInputs.js';

const CHUNK = 500;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { cases: { type: 'string', default: '100000' }, 'cli-cases': { type: 'string' }, seed: { type: 'string' } } });
  const cases = Number(values.cases);
  const cliCases = values['cli-cases'] === undefined ? Math.ceil(cases / 20) : Number(values['cli-cases']);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(cliCases) || cliCases < 0 || !Number.isInteger(seed)) {
    process.stderr.write('usage: fuzz.sh [--cases N ≥ 1] [--cli-cases M ≥ 0] [--seed S]\n');
    return 2;
  }
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const target = await FuzzTarget.start();
  let rssMaxBytes = 0;
  const arbitrary = fuzzRequest(FUZZ_TOKEN);
  for (let done = 0, chunk = 0; done < cases; chunk++) {
    // Generated a chunk at a time: some bodies are hundreds of kB, so 100,000 of them at once would not fit.
    for (const req of fc.sample(arbitrary, { numRuns: Math.min(CHUNK, cases - done), seed: seed + chunk })) {
      const failuresBefore = target.tally.failures.length;
      await target.run(req);
      done++;
      // Printed as they happen, so a long run that is stopped still tells what it found.
      for (const failure of target.tally.failures.slice(failuresBefore)) process.stderr.write(`FAILURE at case ${done} (chunk seed ${seed + chunk}):\n${failure}\n`);
    }
    rssMaxBytes = Math.max(rssMaxBytes, process.memoryUsage().rss);
    if (chunk % 20 === 19) process.stderr.write(`  ${done} cases, ${target.tally.failures.length} failures, ${Math.round((performance.now() - started) / 1000)} s\n`);
    if (target.tally.failures.length > 20) break;
  }
  const lost = await target.checkNothingLost(true);
  const http = { ...target.tally };
  await target.stop();

  const cli = await fuzzCli(cliCases, seed);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const failures = [...http.failures, ...lost, ...cli.failures];
  const rows: [string, string][] = [
    ['seed', String(seed)],
    ['HTTP cases sent', String(http.cases)],
    ['HTTP cases skipped (not sendable, or naming a non-loopback host)', String(http.skipped)],
    ['answers by status', Object.entries(http.byStatus).map(([s, n]) => `${s}: ${n}`).join(', ')],
    ['cases by endpoint/family', Object.entries(http.byEndpoint).sort().map(([e, n]) => `${e}: ${n}`).join(', ')],
    ['samples and window counts acknowledged', Object.entries(http.acknowledged).map(([id, n]) => `${id}: ${n}`).join(', ')],
    ['lost (acknowledged but not in the log, before or after a restart)', String(lost.length)],
    ['CLI file cases (spec, traffic model, config)', `${cli.cases} (exit codes ${Object.entries(cli.exitCodes).map(([c, n]) => `${c}: ${n}`).join(', ')})`],
    ['crashes of the daemon or the CLI', '0 (the run would not have finished)'],
    ['failures', String(failures.length)],
    ['wall time, CPU time', `${seconds.toFixed(0)} s, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s`],
    ['peak RSS of the run (daemon included)', `${Math.round(rssMaxBytes / 1024 / 1024)} MB`],
  ];
  process.stdout.write(`${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n`);
  if (failures.length > 0) {
    process.stdout.write(`\nfirst failures (replay with --seed ${seed}):\n${failures.slice(0, 5).join('\n\n')}\n`);
    return 1;
  }
  return 0;
}

/** The CLI's files: spec (`start`, no daemon), traffic model (`simulate`), config file; never exit 70, never a throw. */
async function fuzzCli(cases: number, seed: number): Promise<{ cases: number; exitCodes: Record<string, number>; failures: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fuzz-cli-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'cli-fuzz-token-0123456789\n');
  const validSpec = join(dir, 'valid.yaml');
  writeFileSync(validSpec, 'id: fz-a\nservice: s\nbaseline: "1"\ncandidate: "2"\n');
  const exitCodes: Record<string, number> = {};
  const failures: string[] = [];
  let done = 0;
  try {
    for (let chunk = 0; done < cases; chunk++) {
      for (const { family, text } of fc.sample(fuzzFileText, { numRuns: Math.min(CHUNK, cases - done), seed: seed + 1_000_000 + chunk })) {
        const file = join(dir, 'case.yaml');
        writeFileSync(file, text);
        const kind = done % 3;
        const run = kind === 0 ? await runCli('start', file, '--url', 'http://127.0.0.1:1', '--token-file', tokenFile) : kind === 1 ? await runCli('simulate', '--spec', validSpec, '--traffic', file) : configRun(file);
        exitCodes[run.code] = (exitCodes[run.code] ?? 0) + 1;
        const allowed = kind === 0 ? [2, 3] : kind === 1 ? [2] : [0, 2];
        if (!allowed.includes(run.code) || /unexpected error|\x1b/.test(run.err)) failures.push(`CLI ${['start', 'simulate', 'config'][kind]} ${family} case exited ${run.code}: ${run.err.slice(0, 300)}\n  file: ${JSON.stringify(text.toString('utf8').slice(0, 300))}`);
        done++;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { cases: done, exitCodes, failures };
}

function configRun(file: string): { code: number; err: string } {
  try {
    resolveDaemonConfig({ flags: {}, env: {}, configFile: file });
    return { code: 0, err: '' };
  } catch (error) {
    const code = (error as { code?: unknown }).code === 'SLUICE_E_CONFIG_INVALID' && (error as Error).message.includes(file) ? 2 : 70;
    return { code, err: String(error) };
  }
}

process.exitCode = await main();
