import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { AA_MODEL, CATASTROPHIC_MODEL, REGRESSION_MODEL, SHARED_INCIDENT_MODEL, defaultCanaryGatesAt, defaultTemplateSpec, rampOnlySpec, runEndToEnd, type EndToEndSummary } from './endToEnd.js';
import { JUDGE_NAMES, binomialUpperBound, runBreakerScenario, runScenario, type BreakerSummary, type JudgeSummary } from './harness.js';
import { BREAKER_VARIANTS, DEFAULT_BREAKER, SLUICE_ALPHA, SLUICE_TOLERANCE } from './judges.js';
import { breakerScenarios, scenarios, type Scenario } from './scenarios.js';

/**
 * `npx tsx --conditions=sluice-source bench/judge/run.ts [--quick] [--no-write]`: runs every scenario through the
 * Sluice judge and the Flagger- and Argo-style presets on identical simulated traffic, prints a table and writes it
 * into docs/judge.md between the bench markers. `--quick` runs 10× fewer seeds.
 */
const quick = process.argv.includes('--quick');
const write = !process.argv.includes('--no-write');
const scale = quick ? { aaSeeds: 100, seeds: 20, e2e: 3, catastrophic: 20, shared: 4 } : { aaSeeds: 1000, seeds: 200, e2e: 10, catastrophic: 200, shared: 40 };
/** The breaker rows are cheap (one gate on window counts) and their false rollbacks rare: 4× and 5× the seeds. */
const breakerScale = { aaSeeds: 4 * scale.aaSeeds, seeds: 5 * scale.seeds };
const started = performance.now();

const rows: string[] = [];
const checks: string[] = [];
for (const scenario of scenarios(scale)) {
  const result = runScenario(scenario);
  rows.push(row(scenario, result));
  if (scenario.kind === 'aa') {
    const bound = binomialUpperBound(scenario.seeds, SLUICE_ALPHA, 0.001);
    checks.push(`${scenario.label}: Sluice false rollbacks ${result.sluice.rollbacks}/${scenario.seeds} (α = ${SLUICE_ALPHA} per gate; 99.9% binomial bound ${bound}) — ${result.sluice.rollbacks <= bound ? 'OK' : 'ABOVE BOUND'}`);
  }
  if (scenario.kind === 'shared') checks.push(`${scenario.label}: Sluice rolled back ${result.sluice.rollbacks}/${scenario.seeds}, Flagger ${result.flagger.rollbacks}, Argo ${result.argo.rollbacks}`);
  process.stderr.write(`${scenario.name} done\n`);
}

const breakerRows: string[] = [];
const breakerLines: string[] = [];
for (const scenario of breakerScenarios(breakerScale)) {
  const summaries = runBreakerScenario(scenario, BREAKER_VARIANTS);
  if (scenario.kind === 'catastrophic') {
    breakerLines.push(
      `- ${scenario.label}, error breaker alone: rolled back at the end of window 1 / within 2 / within 3 — ` +
        `${summaries.map((s) => `${s.variant.label} ${windowShares(s.withinWindows, s.runs)}`).join('; ')} (of ${scenario.seeds} runs).`,
    );
  } else {
    const canaryRps = (scenario.requestsPerSecond * scenario.weightPercent) / 100;
    const where = `${scenario.weightPercent}% of ${scenario.requestsPerSecond} rps = ${canaryRps} canary rps, ${scenario.horizonMs / 3_600_000} h`;
    breakerRows.push(`| ${scenario.label} (${where}) | ${scenario.seeds} | ${summaries.map(breakerCell).join(' | ')} |`);
  }
  process.stderr.write(`${scenario.name} done\n`);
}

const catastrophicBefore = runEndToEnd(defaultTemplateSpec('catastrophic-before', 0), CATASTROPHIC_MODEL, scale.catastrophic);
const catastrophic = runEndToEnd(defaultTemplateSpec('catastrophic'), CATASTROPHIC_MODEL, scale.catastrophic);
const catastrophicAt10 = runEndToEnd(defaultCanaryGatesAt('catastrophic-10', 10), CATASTROPHIC_MODEL, scale.catastrophic);
const sharedBefore = runEndToEnd(defaultTemplateSpec('shared-before', 0), SHARED_INCIDENT_MODEL, scale.shared);
const shared = runEndToEnd(defaultTemplateSpec('shared'), SHARED_INCIDENT_MODEL, scale.shared);
const e2eAa = runEndToEnd(rampOnlySpec('aa'), AA_MODEL, scale.e2e);
const e2eRegression = runEndToEnd(rampOnlySpec('regression'), REGRESSION_MODEL, scale.e2e);
const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(0)} s`);
const byWindow = (r: EndToEndSummary) => windowShares([r.withinOneWindow, r.withinTwoWindows, r.withinThreeWindows], r.runs);
const endToEnd = [
  `- Catastrophic canary, end to end (50% errors from the start; the whole default template, breakers and comparative gates; canary stage at 1% of 200 rps ≈ 10 canary requests per 5 s window): ` +
    `rolled back at the end of window 1 / within 2 / within 3 — before (breakers at \`confidence: 0\`) ${byWindow(catastrophicBefore)}; after (default \`confidence: 0.99\`) ${byWindow(catastrophic)} (of ${catastrophic.runs} runs); ` +
    `rolled back in the end ${catastrophicBefore.rolledBack} and ${catastrophic.rolledBack}, median ${seconds(catastrophicBefore.rollbackAtMsMedian)} and ${seconds(catastrophic.rollbackAtMsMedian)}. ` +
    `With the same gates at 10% (≈ 100 canary requests per window): ${catastrophicAt10.withinOneWindow}/${catastrophicAt10.runs} at the end of the first window.`,
  `- Shared incident, end to end (default template, both arms 0.1% → 5% errors from 15 min, 2 h): before ${sharedBefore.rolledBack}/${sharedBefore.runs} rolled back (median at ${seconds(sharedBefore.rollbackAtMsMedian)} from the start); after ${shared.rolledBack}/${shared.runs}.`,
  `- End-to-end A/A (real windows, machine and gates incl. the estimated latency threshold and the breakers; ramp gates, 10% of 200 rps, 2 h): ${e2eAa.rolledBack}/${e2eAa.runs} rolled back.`,
  `- End-to-end errors 1% → 2% at 10 min (same set-up): ${e2eRegression.rolledBack}/${e2eRegression.runs} rolled back, median at ${seconds(e2eRegression.rollbackAtMsMedian)} from the start (${seconds(e2eRegression.rollbackAtMsMedian === null ? null : e2eRegression.rollbackAtMsMedian - 600_000)} after the change).`,
];

const header =
  '| scenario | runs | Sluice rollbacks | Sluice median delay (s / canary requests) | Flagger rollbacks (before change) | Flagger median delay | Argo rollbacks (before change) | Argo median delay | Flagger ≥ 98% | Argo ≥ 98% |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores, shared), ${quick ? 'quick run' : 'full run'}, ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  '',
  `Set-up: one stage at 10% canary weight, 200 requests/s (20 rps canary) unless stated, 5 s windows, 2 h horizon, change at 10 min. ` +
    `Sluice: the default ramp stage's comparative gates (compareErrorRate and compareLatency, α = ${SLUICE_ALPHA} each, tolerance ${SLUICE_TOLERANCE}, slow = over the baseline p95). ` +
    `Flagger: interval 60 s, threshold 5, request-success-rate ≥ 99%, request-duration p99 ≤ 500 ms. Argo: interval 60 s, failureLimit 3, consecutiveErrorLimit 4, same two conditions. ` +
    `The last two columns retune both presets to success rate ≥ 98% (rollbacks (before change), median delay), as a user of a 1%-error service would. ` +
    `"Rollbacks" counts runs that rolled back at any time; "(before change)" those that did so before the regression started (false alarms); delays are medians over runs that rolled back after the change, from the change.`,
  '',
  header,
  ...rows,
  '',
  ...checks.map((c) => `- ${c}`),
  ...endToEnd,
  '',
  `Circuit breakers: the default template's error breaker (maxPercent ${DEFAULT_BREAKER.maxPercent}, samplesMin ${DEFAULT_BREAKER.samplesMin}, sustainWindows 1) run by its own code on the fast path, ` +
    `in three variants on identical traffic: the observed rate against the bound (\`confidence: 0\`, as Flagger and Argo Rollouts), the significance test of every open block (\`confidence: 0.99\`, before Judge II), and the default since Judge II (\`confidence: 0.99\`, open blocks tested from \`earlySamplesMin\` 6 requests on). ` +
    `"Rollbacks" are false rollbacks here: the canary is no worse than the baseline; the time is the median from the start of the stage.`,
  '',
  `| scenario | runs | ${BREAKER_VARIANTS.map((v) => `${v.label}: rollbacks, median time`).join(' | ')} |\n|---|---:|${BREAKER_VARIANTS.map(() => '---:').join('|')}|`,
  ...breakerRows,
  '',
  ...breakerLines,
].join('\n');

process.stdout.write(`${table}\n`);
if (write) {
  const docs = fileURLToPath(new URL('../../docs/judge.md', import.meta.url));
  const text = readFileSync(docs, 'utf8');
  const start = '<!-- bench:judge:start -->';
  const end = '<!-- bench:judge:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/judge.md has no ${start} … ${end} markers`);
  writeFileSync(docs, `${text.slice(0, i + start.length)}\n${table}\n${text.slice(j)}`);
}

function breakerCell(s: BreakerSummary): string {
  const share = s.rollbacks === 0 ? '' : ` (${Number(((100 * s.rollbacks) / s.runs).toPrecision(2))}%)`;
  return `${s.rollbacks}/${s.runs}${share}${s.rollbackAtMsMedian === null ? '' : `, ${formatDuration(s.rollbackAtMsMedian)}`}`;
}

function windowShares(counts: readonly number[], runs: number): string {
  return counts.map((k) => `${Number(((100 * k) / runs).toPrecision(3))}%`).join(' / ');
}

function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')}`;
}

function row(scenario: Scenario, result: Record<(typeof JUDGE_NAMES)[number], JudgeSummary>): string {
  const n = scenario.seeds;
  const rate = (k: number) => `${k}/${n}`;
  const delay = (s: JudgeSummary) => (s.delaySecondsMedian === null ? '—' : `${s.delaySecondsMedian.toFixed(0)} s / ${Math.round(s.canaryRequestsMedian ?? 0)}`);
  const preset = (s: JudgeSummary) => (scenario.kind === 'regression' ? `${rate(s.rollbacks)} (${s.rollbacksBeforeChange})` : rate(s.rollbacks));
  const sluice = scenario.kind === 'regression' ? `${rate(result.sluice.rollbacks)} (${result.sluice.rollbacksBeforeChange})` : rate(result.sluice.rollbacks);
  const rps = scenario.requestsPerSecond === 200 ? '' : ` [${scenario.requestsPerSecond} rps, ${scenario.horizonMs / 3_600_000} h]`;
  const retuned = (s: JudgeSummary) => `${preset(s)}, ${delay(s)}`;
  return `| ${scenario.label}${rps} | ${n} | ${sluice} | ${delay(result.sluice)} | ${preset(result.flagger)} | ${delay(result.flagger)} | ${preset(result.argo)} | ${delay(result.argo)} | ${retuned(result.flagger98)} | ${retuned(result.argo98)} |`;
}
