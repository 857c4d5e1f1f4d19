import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatHours, HOUR, LATENCY_SHAPES, minimumDurationMs, NO_REGRESSION, runHealthyRollout, summarizeRuns, templateSpec, type PromotionCell, type PromotionSummary, type Regression, type RolloutRun } from './promotion.js';

/**
 * `npx tsx --conditions=sluice-source bench/judge/promotionRun.ts [--seeds N] [--before-seeds N] [--fail-seeds N]
 *  [--workers N] [--bins N] [--no-write]`: healthy releases through the whole default template over the grid of base
 * error rate × traffic, after Judge II and (fewer seeds) before it; then regressed canaries (the fail side) before and
 * after; in child processes. Prints the tables and writes them into docs/judge.md between the promotion and fail-side
 * markers. Defaults: 1,000 seeds per cell, 100 for "before", 100 per fail-side row, 2 workers, latencies drawn from 256
 * equally likely values per arm (runSimulation's `latencyBins`; identical for both arms).
 */
const ERROR_RATES = [0.0001, 0.001, 0.01, 0.05];
const REQUESTS_PER_SECOND = [2, 20, 200, 2000];
export const CELLS: PromotionCell[] = ERROR_RATES.flatMap((errorRate) => REQUESTS_PER_SECOND.map((requestsPerSecond) => ({ errorRate, requestsPerSecond })));
/** The fail side: regressions present from the start of the rollout, at a few traffic levels. */
const FAIL_CELLS: PromotionCell[] = [
  { errorRate: 0.001, requestsPerSecond: 200 },
  { errorRate: 0.01, requestsPerSecond: 200 },
  { errorRate: 0.01, requestsPerSecond: 20 },
];
const REGRESSIONS: Regression[] = [
  { name: '2× errors', errorMultiplier: 2, latencyMultiplier: 1 },
  { name: '10× errors', errorMultiplier: 10, latencyMultiplier: 1 },
  { name: '1.3× latency', errorMultiplier: 1, latencyMultiplier: 1.3 },
  { name: '2× latency', errorMultiplier: 1, latencyMultiplier: 2 },
];

interface Job {
  /** Index into CELLS (healthy) or FAIL_CELLS × REGRESSIONS (fail side: cell * REGRESSIONS.length + regression). */
  cell: number;
  side: 'healthy' | 'fail';
  semantics: 'after' | 'before';
  seedFrom: number;
  seedTo: number;
}

function jobTarget(job: Pick<Job, 'cell' | 'side'>): { cell: PromotionCell; regression: Regression } {
  if (job.side === 'healthy') return { cell: CELLS[job.cell]!, regression: NO_REGRESSION };
  return { cell: FAIL_CELLS[Math.floor(job.cell / REGRESSIONS.length)]!, regression: REGRESSIONS[job.cell % REGRESSIONS.length]! };
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
  const { cell, regression } = jobTarget(job);
  const runs: RolloutRun[] = [];
  for (let seed = job.seedFrom; seed < job.seedTo; seed++) runs.push(runHealthyRollout(spec, cell, seed, job.bins, regression));
  process.stdout.write(`${JSON.stringify(runs)}\n`);
} else {
  await main();
}

async function main(): Promise<void> {
  const seeds = flag('--seeds', 1000);
  const beforeSeeds = flag('--before-seeds', 100);
  const failSeeds = flag('--fail-seeds', 100);
  const workers = Math.max(1, flag('--workers', 2));
  const bins = flag('--bins', 256);
  const write = !argv.includes('--no-write');
  const chunk = 50;
  const jobs: Job[] = [];
  const plan: Array<[Job['side'], Job['semantics'], number, number]> = [
    ['healthy', 'after', seeds, CELLS.length],
    ['healthy', 'before', beforeSeeds, CELLS.length],
    ['fail', 'after', failSeeds, FAIL_CELLS.length * REGRESSIONS.length],
    ['fail', 'before', failSeeds, FAIL_CELLS.length * REGRESSIONS.length],
  ];
  for (const [side, semantics, count, cells] of plan) {
    for (let cell = 0; cell < cells; cell++) {
      for (let from = 1; from <= count; from += chunk) jobs.push({ cell, side, semantics, seedFrom: from, seedTo: Math.min(count + 1, from + chunk) });
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
      const key = `${job.side}/${job.semantics}/${job.cell}`;
      results.set(key, [...(results.get(key) ?? []), ...runs]);
      done++;
      process.stderr.write(`\r${done}/${jobs.length} jobs, ${((performance.now() - started) / 60_000).toFixed(1)} min`);
    }
  };
  await Promise.all(Array.from({ length: workers }, runWorker));
  process.stderr.write('\n');
  const onTimeMs = Math.round(minimumDurationMs(templateSpec()) * 1.1);
  const minutes = (performance.now() - started) / 60_000;
  const healthy = renderTable(results, seeds, beforeSeeds, onTimeMs, bins, minutes);
  const failSide = failSeeds > 0 ? renderFailSide(results, failSeeds) : null;
  process.stdout.write(`${healthy}\n\n${failSide ?? ''}\n`);
  if (write) {
    const file = fileURLToPath(new URL('../../docs/judge.md', import.meta.url));
    let text = readFileSync(file, 'utf8');
    text = replaceBetween(text, 'promotion', healthy);
    if (failSide !== null) text = replaceBetween(text, 'failside', failSide);
    writeFileSync(file, text);
  }
}

function replaceBetween(text: string, name: string, content: string): string {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`docs/judge.md has no ${start} … ${end} markers`);
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
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

function renderTable(results: Map<string, RolloutRun[]>, seeds: number, beforeSeeds: number, onTimeMs: number, bins: number, minutes: number): string {
  const lines: string[] = [];
  const date = new Date().toISOString().slice(0, 10);
  lines.push(
    `Measured ${date} on this machine (2 shared cores), ${seeds} seeds per cell after Judge II and ${beforeSeeds} before (whole run with the fail side below: ${minutes.toFixed(0)} min). ` +
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
    const after = summarizeRuns(results.get(`healthy/after/${cell}`) ?? [], onTimeMs);
    const before = summarizeRuns(results.get(`healthy/before/${cell}`) ?? [], onTimeMs);
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

/** The fail side: how regressed canaries end, before and after Judge II, on identical seeds. */
function renderFailSide(results: Map<string, RolloutRun[]>, seeds: number): string {
  const lines = [
    `Regressed canaries through the whole default template, ${seeds} seeds per row, the regression present from the start of the rollout; the same seeds before and after Judge II. ` +
      `"Caught" = rolled back by a failing gate (its stage, and the median time from the start); "at durationMax" = rolled back for lack of proof (before only); "missed" = completed.`,
    '',
    '| base error rate, traffic | regression | before: caught (stage), median | before: at durationMax | before: missed | after: caught (stage), median | after: held | after: missed |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (let index = 0; index < FAIL_CELLS.length * REGRESSIONS.length; index++) {
    const { cell, regression } = jobTarget({ cell: index, side: 'fail' });
    const describe = (runs: RolloutRun[]) => {
      const caught = runs.filter((r) => r.outcome === 'rolledBack' && r.rollbackReason !== 'maxDuration');
      const stages: Record<string, number> = {};
      for (const r of caught) stages[r.stage ?? '?'] = (stages[r.stage ?? '?'] ?? 0) + 1;
      const times = caught.map((r) => r.rollbackAtMs ?? r.endedAtMs).sort((a, b) => a - b);
      const median = times.length ? times[Math.floor((times.length - 1) / 2)]! : null;
      return {
        caught: `${caught.length}/${runs.length} (${Object.entries(stages).map(([k, v]) => `${k} ${v}`).join(', ') || '—'}), ${formatHours(median)}`,
        maxDuration: runs.filter((r) => r.outcome === 'rolledBack' && r.rollbackReason === 'maxDuration').length,
        held: runs.filter((r) => r.outcome === 'held').length,
        missed: runs.filter((r) => r.outcome === 'completed').length,
      };
    };
    const before = describe(results.get(`fail/before/${index}`) ?? []);
    const after = describe(results.get(`fail/after/${index}`) ?? []);
    lines.push(`| ${cell.errorRate * 100}%, ${cell.requestsPerSecond} rps | ${regression.name} | ${before.caught} | ${before.maxDuration} | ${before.missed} | ${after.caught} | ${after.held} | ${after.missed} |`);
  }
  return lines.join('\n');
}

function share(part: number, whole: number): string {
  return whole ? `${part}/${whole} (${((100 * part) / whole).toFixed(1)}%)` : '—';
}

export { HOUR };
