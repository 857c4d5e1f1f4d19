/**
 * Runs every benchmark under bench/ and prints a table; a full run (no filter) also regenerates docs/benchmarks.md.
 *
 *   npx -y pnpm@10.34.8 bench                  every `*.bench.ts`, then docs/benchmarks.md
 *   npx -y pnpm@10.34.8 bench -- recorder      only files or suites whose path or name contains "recorder"
 *   npx -y pnpm@10.34.8 bench -- --no-write    every benchmark, docs untouched
 *   npx -y pnpm@10.34.8 bench -- --clock=cpu   time with CPU time instead of wall time (on a shared machine)
 *
 * To add benchmarks, create `bench/<area>/<name>.bench.ts` whose default export is `defineSuite({...})` (or an array
 * of suites); see lib/benchmark.ts. No registration needed.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { clockInUse, setClock, type BenchmarkSuite } from './lib/benchmark.js';
import { machineInfo, markdownReport, textTable } from './lib/report.js';
import { runCase, type CaseResult } from './lib/runCase.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const docsFile = join(benchDir, '..', 'docs', 'benchmarks.md');
const previousFiguresFile = join(benchDir, 'previousFigures.md');
const COMMAND = 'npx -y pnpm@10.34.8 bench';

function benchmarkFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...benchmarkFiles(path));
    else if (entry.name.endsWith('.bench.ts')) files.push(path);
  }
  return files.sort();
}

async function suitesOf(file: string): Promise<BenchmarkSuite[]> {
  const module = (await import(pathToFileURL(file).href)) as { default?: BenchmarkSuite | BenchmarkSuite[] };
  if (!module.default) throw new Error(`${relative(benchDir, file)} has no default export; export defineSuite({...})`);
  return Array.isArray(module.default) ? module.default : [module.default];
}

async function main(argv: readonly string[]): Promise<number> {
  const write = !argv.includes('--no-write');
  const clockFlag = argv.find((a) => a.startsWith('--clock='))?.slice('--clock='.length);
  if (clockFlag !== undefined) {
    if (clockFlag !== 'wall' && clockFlag !== 'cpu') throw new Error(`--clock must be wall or cpu, got ${clockFlag}`);
    setClock(clockFlag);
  }
  const filters = argv.filter((a) => !a.startsWith('--'));
  const results: CaseResult[] = [];
  const failures: string[] = [];
  const started = Date.now();
  for (const file of benchmarkFiles(benchDir)) {
    const path = relative(benchDir, file);
    let suites: BenchmarkSuite[];
    try {
      suites = await suitesOf(file);
    } catch (error) {
      failures.push(`${path}: cannot load: ${describe(error)}`);
      continue;
    }
    for (const suite of suites) {
      if (filters.length > 0 && !filters.some((f) => path.includes(f) || suite.name.includes(f))) continue;
      process.stderr.write(`${path}: ${suite.name}\n`);
      await runSuite(path, suite, results, failures);
    }
  }
  process.stdout.write(`${textTable(results)}\n`);
  process.stderr.write(`${results.length} benchmark(s) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  for (const result of results.filter((r) => r.met === false)) process.stderr.write(`target missed: ${result.suite} / ${result.name}\n`);
  for (const failure of failures) process.stderr.write(`FAILED: ${failure}\n`);
  // A failed benchmark leaves docs/benchmarks.md as it was: a report with holes would read as complete.
  if (write && filters.length === 0 && failures.length === 0) {
    const command = argv.length > 0 ? `${COMMAND} -- ${argv.join(' ')}` : COMMAND;
    // Earlier figures are kept beside the new ones (bench/previousFigures.md, written by hand when a run replaces them).
    const previous = existsSync(previousFiguresFile) ? `\n${readFileSync(previousFiguresFile, 'utf8')}` : '';
    writeFileSync(docsFile, `${markdownReport(results, machineInfo(), new Date(), command, clockInUse())}${previous}`);
    process.stderr.write(`wrote ${relative(process.cwd(), docsFile)}\n`);
  } else if (write && filters.length === 0) {
    process.stderr.write(`${relative(process.cwd(), docsFile)} not written: ${failures.length} benchmark(s) failed\n`);
  }
  return failures.length === 0 ? 0 : 1;
}

/** Runs a suite's cases; a failing case (or setup) is recorded and the run goes on with the next one. */
async function runSuite(path: string, suite: BenchmarkSuite, results: CaseResult[], failures: string[]): Promise<void> {
  try {
    await suite.setup?.();
  } catch (error) {
    failures.push(`${path}: ${suite.name}: setup: ${describe(error)}`);
    try {
      await suite.teardown?.();
    } catch {
      // Setup failed half-way; whatever teardown cannot undo is reported by the setup failure already.
    }
    return;
  }
  try {
    for (const benchmark of suite.cases) {
      try {
        results.push(await runCase(suite.name, benchmark));
        process.stderr.write(`  ${benchmark.name}: done\n`);
      } catch (error) {
        failures.push(`${path}: ${suite.name} / ${benchmark.name}: ${describe(error)}`);
        process.stderr.write(`  ${benchmark.name}: FAILED\n`);
      }
    }
  } finally {
    try {
      await suite.teardown?.();
    } catch (error) {
      failures.push(`${path}: ${suite.name}: teardown: ${describe(error)}`);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

// pnpm passes a literal `--` through (`pnpm bench -- --clock=cpu`); it is not an argument.
process.exitCode = await main(process.argv.slice(2).filter((a) => a !== '--'));
