import { eventsOf, waitFor } from '../nginx-canary/scenario.js';
import { NAMESPACE, ROUTE, type Environment } from './environment.js';

export interface HealthyResult {
  rolloutId: string;
  outcome: string | null;
  stages: string[];
  /** Weight the gateway routes by at the end. */
  servedWeightPercent: number;
  durationMs: number;
}

export interface FaultyResult {
  rolloutId: string;
  outcome: string | null;
  servedWeightPercent: number;
  weightPercent: number;
  candidateRatePerSecond: number;
  faultStartedAt: number;
  faultToDecisionMs: number | undefined;
  /** From the fault starting to the last request the gateway sent to the candidate, from its access log. */
  faultToZeroMs: number;
  candidateRequestsAfterFault: number;
}

export interface DriftResult {
  rolloutId: string;
  /** The weight Sluice applied, the weight the hand edit set. */
  appliedWeightPercent: number;
  editedWeightPercent: number;
  /** The daemon logged the edit as drift (weight.applyFailed, code SLUICE_E_WEIGHT_DRIFT). */
  driftRecorded: boolean;
  /** From `kubectl replace` returning to the gateway routing by Sluice's weight again. */
  editToRestoredMs: number;
  /** The route's weights after the re-apply, as `kubectl get` shows them. */
  routeWeights: number[];
  outcome: string | null;
}

const errorRateGate = { kind: 'errorRate', maxPercent: 5, samplesMin: 5, sustainWindows: 1 };

function specFor(environment: Environment, id: string, stages: object[]): string {
  return JSON.stringify({
    id,
    service: 'checkout',
    baseline: 'v1',
    candidate: 'v2',
    window: '250ms',
    stages,
    adapter: {
      type: 'kubernetes',
      options: { kind: 'HTTPRoute', namespace: NAMESPACE, name: ROUTE, stableBackend: 'checkout-stable', canaryBackend: 'checkout-canary', kubeconfig: environment.kubeconfigPath, verifyIntervalMs: 20 },
    },
    sources: {
      accessLog: { path: environment.accessLogPath, baselineAddresses: [environment.stable.address], candidateAddresses: [environment.candidate.address], pollIntervalMs: 25 },
    },
  });
}

async function createRollout(environment: Environment, id: string, stages: object[]): Promise<void> {
  const created = await environment.daemon.request('POST', '/v1/rollouts', specFor(environment, id, stages));
  if (created.status !== 201) throw new Error(`creating rollout ${id} failed: ${created.status} ${JSON.stringify(created.body)}`);
}

/** The weights of rule "main", as kubectl shows them. */
async function routeWeights(environment: Environment): Promise<number[]> {
  const route = JSON.parse(await environment.kubectlRun(['get', 'httproute', ROUTE, '-o', 'json'])) as { spec: { rules: { name?: string; backendRefs: { weight?: number }[] }[] } };
  return route.spec.rules.find((r) => r.name === 'main')!.backendRefs.map((b) => b.weight ?? 1);
}

/** A healthy candidate goes through canary → ramp → rollout (durations shortened) to 100%. */
export async function runHealthyRollout(environment: Environment, id = `healthy-${Date.now()}`): Promise<HealthyResult> {
  const startedAt = Date.now();
  environment.candidate.setFaulty(false);
  await createRollout(environment, id, [
    { name: 'canary', weightPercent: 10, durationMin: '2s', samplesMin: 20, gates: [{ ...errorRateGate, samplesMin: 3 }] },
    { name: 'ramp', weightPercent: 50, durationMin: '2s', samplesMin: 50, gates: [errorRateGate] },
    { name: 'rollout', weightPercent: 100, durationMin: '1s', samplesMin: 50, gates: [errorRateGate] },
  ]);
  environment.log(`${id}: healthy candidate, stages 10% → 50% → 100%`);
  const final = await waitFor(environment, id, 'the end of the rollout', 90_000, (s) => s.terminal);
  const stages = (await eventsOf(environment, id)).filter((e) => e.type === 'stage.entered').map((e) => `${String(e.data.stage)} ${String(e.data.weightPercent)}%`);
  const result = { rolloutId: id, outcome: final.outcome, stages, servedWeightPercent: environment.gateway.current().weightPercent, durationMs: Date.now() - startedAt };
  environment.log(`${id}: ${result.outcome}; stages ${stages.join(' → ')}; the gateway routes ${result.servedWeightPercent}% to the candidate`);
  return result;
}

/**
 * A candidate that starts failing every request while it takes `weightPercent` of the traffic. The time to 0% is read
 * from the gateway's own access log: the last request it sent to the candidate, minus the fault's start.
 */
export async function runFaultyRollout(environment: Environment, options: { weightPercent?: number; settleMs?: number; id?: string } = {}): Promise<FaultyResult> {
  const id = options.id ?? `faulty-${Date.now()}`;
  const weightPercent = options.weightPercent ?? 50;
  environment.candidate.setFaulty(false);
  await createRollout(environment, id, [{ name: 'canary', weightPercent, durationMin: '10m', samplesMin: 20, gates: [errorRateGate] }]);
  await waitFor(environment, id, `canary weight ${weightPercent}% applied`, 30_000, (s) => s.appliedWeightPercent === weightPercent);
  const healthyFrom = Date.now();
  await new Promise((r) => setTimeout(r, 1_500));
  const faultStartedAt = Date.now();
  environment.candidate.setFaulty(true);
  environment.log(`${id}: candidate at ${weightPercent}% starts failing every request`);
  const final = await waitFor(environment, id, 'rollback', 30_000, (s) => s.terminal);
  await new Promise((r) => setTimeout(r, options.settleMs ?? 1_500));
  environment.candidate.setFaulty(false);

  const candidateSamples = environment.observed.filter((s) => s.variant === 'canary');
  const healthyCount = candidateSamples.filter((s) => s.at >= healthyFrom + 250 && s.at < faultStartedAt).length;
  const afterFault = candidateSamples.filter((s) => s.at >= faultStartedAt);
  const lastCandidateAt = afterFault.reduce((last, s) => Math.max(last, s.at), faultStartedAt);
  const rollbackStarted = (await eventsOf(environment, id)).find((e) => e.type === 'rollback.started');
  const result: FaultyResult = {
    rolloutId: id,
    outcome: final.outcome,
    servedWeightPercent: environment.gateway.current().weightPercent,
    weightPercent,
    candidateRatePerSecond: Math.round(healthyCount / ((faultStartedAt - healthyFrom - 250) / 1000)),
    faultStartedAt,
    faultToDecisionMs: rollbackStarted ? rollbackStarted.at - faultStartedAt : undefined,
    faultToZeroMs: lastCandidateAt - faultStartedAt,
    candidateRequestsAfterFault: afterFault.length,
  };
  environment.log(
    `${id}: ${result.outcome}; fault → rollback decision ${result.faultToDecisionMs ?? '?'} ms, fault → gateway routing 0% ${result.faultToZeroMs} ms ` +
      `(${result.candidateRequestsAfterFault} failed requests reached the candidate at ~${result.candidateRatePerSecond} requests/s)`,
  );
  return result;
}

/**
 * In the middle of a stage someone edits the route by hand, `kubectl edit`-style (get, change the weights, replace):
 * the adapter's watch reports it, the daemon records it as drift and applies its weight again. The daemon's periodic
 * read-back is far away (60 s), so a quick restore shows the watch at work. The rollout is then aborted.
 */
export async function runHandEditDuringStage(environment: Environment, id = `drift-${Date.now()}`): Promise<DriftResult> {
  environment.candidate.setFaulty(false);
  const weightPercent = 20;
  await createRollout(environment, id, [{ name: 'canary', weightPercent, durationMin: '10m', samplesMin: 20, gates: [errorRateGate] }]);
  await waitFor(environment, id, `canary weight ${weightPercent}% applied`, 30_000, (s) => s.appliedWeightPercent === weightPercent);
  const route = JSON.parse(await environment.kubectlRun(['get', 'httproute', ROUTE, '-o', 'json'])) as { spec: { rules: { name?: string; backendRefs: { weight?: number }[] }[] } };
  const main = route.spec.rules.find((r) => r.name === 'main')!;
  main.backendRefs[0]!.weight = 50;
  main.backendRefs[1]!.weight = 50;
  const editedAt = Date.now();
  await environment.kubectlRun(['replace', '-f', '-'], JSON.stringify(route));
  environment.log(`${id}: kubectl replace set the route to 50/50 while the stage wants ${weightPercent}%`);
  // The gateway routes by the edit first (it watches the route too), then by Sluice's weight again.
  const deadline = Date.now() + 20_000;
  let sawEdit = false;
  for (;;) {
    const served = environment.gateway.current().weightPercent;
    if (served === 50) sawEdit = true;
    if (sawEdit && served === weightPercent) break;
    if (Date.now() > deadline) throw new Error(`${id}: the hand edit was not undone within 20 s (gateway routes ${served}%)\n${environment.daemon.output().slice(-3_000)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const editToRestoredMs = Date.now() - editedAt;
  const events = await eventsOf(environment, id);
  const driftRecorded = events.some((e) => e.type === 'weight.applyFailed' && e.data.code === 'SLUICE_E_WEIGHT_DRIFT');
  const weights = await routeWeights(environment);
  await environment.daemon.request('POST', `/v1/rollouts/${id}/commands/abort`, JSON.stringify({ actor: 'example', reason: 'drift scenario done' }));
  const final = await waitFor(environment, id, 'the end after abort', 30_000, (s) => s.terminal);
  const result = { rolloutId: id, appliedWeightPercent: weightPercent, editedWeightPercent: 50, driftRecorded, editToRestoredMs, routeWeights: weights, outcome: final.outcome };
  environment.log(`${id}: hand edit undone in ${editToRestoredMs} ms (drift recorded: ${driftRecorded}); route weights ${weights.join('/')}; ${final.outcome}`);
  return result;
}
