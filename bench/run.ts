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
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { clockInUse, setClock, type BenchmarkSuite } from './lib/benchmark.js';
import { machineInfo, markdownReport, textTable } from './lib/report.js';
import { runCase, type CaseResult } from './lib/runCase.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const docsFile = join(benchDir, '..', 'docs', 'benchmarks.md');
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
  const started = Date.now();
  for (const file of benchmarkFiles(benchDir)) {
    const path = relative(benchDir, file);
    for (const suite of await suitesOf(file)) {
      if (filters.length > 0 && !filters.some((f) => path.includes(f) || suite.name.includes(f))) continue;
      process.stderr.write(`${path}: ${suite.name}\n`);
      await suite.setup?.();
      try {
        for (const benchmark of suite.cases) {
          const result = await runCase(suite.name, benchmark);
          process.stderr.write(`  ${benchmark.name}: done\n`);
          results.push(result);
        }
      } finally {
        await suite.teardown?.();
      }
    }
  }
  process.stdout.write(`${textTable(results)}\n`);
  process.stderr.write(`${results.length} benchmark(s) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  if (write && filters.length === 0) {
    const command = argv.length > 0 ? `${COMMAND} -- ${argv.join(' ')}` : COMMAND;
    writeFileSync(docsFile, markdownReport(results, machineInfo(), new Date(), command, clockInUse()));
    process.stderr.write(`wrote ${relative(process.cwd(), docsFile)}\n`);
  }
  const missed = results.filter((r) => r.met === false);
  for (const result of missed) process.stderr.write(`target missed: ${result.suite} / ${result.name}\n`);
  return 0;
}

// pnpm passes a literal `--` through (`pnpm bench -- --clock=cpu`); it is not an argument.
process.exitCode = await main(process.argv.slice(2).filter((a) => a !== '--'));
