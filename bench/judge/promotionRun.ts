import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatHours, HOUR, LATENCY_SHAPES, minimumDurationMs, runHealthyRollout, summarizeRuns, templateSpec, type PromotionCell, type PromotionSummary, type RolloutRun } from './promotion.js';

/**
 * `npx tsx --conditions=sluice-source bench/judge/promotionRun.ts [--seeds N] [--before-seeds N] [--workers N]
 *  [--bins N] [--no-write]`: healthy releases through the whole default template over the grid of base error rate ×
 * traffic, after Judge II and (fewer seeds) before it, in child processes; prints a table and writes it into
 * docs/judge.md between the promotion markers. Defaults: 1,000 seeds per cell, 100 for "before", 2 workers, latencies
 * drawn from 256 equally likely values per arm (runSimulation's `latencyBins`; identical for both arms).
 */
const ERROR_RATES = [0.0001, 0.001, 0.01, 0.05];
const REQUESTS_PER_SECOND = [2, 20, 200, 2000];
export const CELLS: PromotionCell[] = ERROR_RATES.flatMap((errorRate) => REQUESTS_PER_SECOND.map((requestsPerSecond) => ({ errorRate, requestsPerSecond })));

interface Job {
  cell: number;
  semantics: 'after' | 'before';
  seedFrom: number;
  seedTo: number;
}

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const index = argv.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(argv[index + 1]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} needs a non-negative integer, got ${argv[index + 1]}`);
  return value;
};

if (argv[0] === '--child') {
  // A child runs one job and prints its runs as one JSON line.
  const job = JSON.parse(argv[1]!) as Job & { bins: number };
  const spec = templateSpec(job.semantics);
  const runs: RolloutRun[] = [];
  for (let seed = job.seedFrom; seed < job.seedTo; seed++) runs.push(runHealthyRollout(spec, CELLS[job.cell]!, seed, job.bins));
  process.stdout.write(`${JSON.stringify(runs)}\n`);
} else {
  await main();
}

async function main(): Promise<void> {
  const seeds = flag('--seeds', 1000);
  const beforeSeeds = flag('--before-seeds', 100);
  const workers = Math.max(1, flag('--workers', 2));
  const bins = flag('--bins', 256);
  const write = !argv.includes('--no-write');
  const chunk = 50;
  const jobs: Job[] = [];
  for (const [semantics, count] of [['after', seeds], ['before', beforeSeeds]] as const) {
    for (let cell = 0; cell < CELLS.length; cell++) {
      for (let from = 1; from <= count; from += chunk) jobs.push({ cell, semantics, seedFrom: from, seedTo: Math.min(count + 1, from + chunk) });
    }
  }
  const started = performance.now();
  const results = new Map<string, RolloutRun[]>();
  let next = 0;
  let done = 0;
  const runWorker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const runs = await runChild({ ...job, bins });
      const key = `${job.semantics}/${job.cell}`;
      results.set(key, [...(results.get(key) ?? []), ...runs]);
      done++;
      process.stderr.write(`\r${done}/${jobs.length} jobs, ${((performance.now() - started) / 60_000).toFixed(1)} min`);
    }
  };
  await Promise.all(Array.from({ length: workers }, runWorker));
  process.stderr.write('\n');
  const onTimeMs = Math.round(minimumDurationMs(templateSpec()) * 1.1);
  const table = renderTable(results, seeds, beforeSeeds, onTimeMs, bins, (performance.now() - started) / 1000);
  process.stdout.write(`${table}\n`);
  if (write) {
    const file = fileURLToPath(new URL('../../docs/judge.md', import.meta.url));
    const text = readFileSync(file, 'utf8');
    const start = '<!-- bench:promotion:start -->';
    const end = '<!-- bench:promotion:end -->';
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from < 0 || to < 0) throw new Error(`docs/judge.md has no ${start} … ${end} markers`);
    writeFileSync(file, `${text.slice(0, from + start.length)}\n${table}\n${text.slice(to)}`);
  }
}

function runChild(job: Job & { bins: number }): Promise<RolloutRun[]> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => (out += text));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as RolloutRun[]) : reject(new Error(`job ${JSON.stringify(job)} exited with ${code}`))));
  });
}

function renderTable(results: Map<string, RolloutRun[]>, seeds: number, beforeSeeds: number, onTimeMs: number, bins: number, seconds: number): string {
  const lines: string[] = [];
  const date = new Date().toISOString().slice(0, 10);
  lines.push(
    `Measured ${date} on this machine (2 shared cores), ${seeds} seeds per cell after Judge II and ${beforeSeeds} before, ${(seconds / 60).toFixed(0)} min. ` +
      `Whole rollouts of the default template (canary 1% 2 h → ramp 10% 4 h → rollout 100% 10 min, every gate, the real machine) ` +
      `on a canary identical to its baseline; latency shapes ${LATENCY_SHAPES.map((s) => s.name).join(', ')} in turn over the seeds; latencies drawn from ${bins} equally likely values per arm. ` +
      `On time = completed within ${formatHours(onTimeMs)} (the minimum durations + 10%). Runs stop at ${formatHours(4 * minimumDurationMs(templateSpec()))}.`,
    '',
    '| base error rate | traffic | after: on time | completed (median / p95 time) | rolled back (for lack of evidence) | held | before: on time | before: rolled back (for lack of evidence) | before: held / still running |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  const all: PromotionSummary[] = [];
  for (let cell = 0; cell < CELLS.length; cell++) {
    const { errorRate, requestsPerSecond } = CELLS[cell]!;
    const after = summarizeRuns(results.get(`after/${cell}`) ?? [], onTimeMs);
    const before = summarizeRuns(results.get(`before/${cell}`) ?? [], onTimeMs);
    all.push(after);
    lines.push(
      `| ${errorRate * 100}% | ${requestsPerSecond} rps | ${share(after.onTime, after.runs)} | ${after.completed}/${after.runs} (${formatHours(after.completionMsMedian)} / ${formatHours(after.completionMsP95)}) | ` +
        `${after.rolledBack} (${after.rolledBackForLackOfEvidence}) | ${after.held} | ${share(before.onTime, before.runs)} | ${before.rolledBack} (${before.rolledBackForLackOfEvidence}) | ${before.held + before.other} |`,
    );
  }
  const runs = all.reduce((sum, s) => sum + s.runs, 0);
  const onTime = all.reduce((sum, s) => sum + s.onTime, 0);
  const rolledBack = all.reduce((sum, s) => sum + s.rolledBack, 0);
  const lackOfEvidence = all.reduce((sum, s) => sum + s.rolledBackForLackOfEvidence, 0);
  const worst = Math.min(...all.map((s) => (s.runs ? s.onTime / s.runs : 1)));
  const causes: Record<string, number> = {};
  for (const s of all) for (const [k, v] of Object.entries(s.rollbackCauses)) causes[k] = (causes[k] ?? 0) + v;
  lines.push(
    '',
    `- After Judge II: ${onTime}/${runs} on time (worst cell ${(worst * 100).toFixed(1)}%; target ≥ 95% in every cell); ` +
      `${rolledBack} rolled back (${(100 * rolledBack / Math.max(1, runs)).toFixed(2)}%; target ≤ α = 1% per rollout), ${lackOfEvidence} of them for lack of evidence (target 0). ` +
      `Rollback causes (stage/gate): ${Object.entries(causes).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}.`,
  );
  return lines.join('\n');
}

function share(part: number, whole: number): string {
  return whole ? `${part}/${whole} (${((100 * part) / whole).toFixed(1)}%)` : '—';
}

export { HOUR };
