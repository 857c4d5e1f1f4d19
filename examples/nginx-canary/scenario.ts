import type { Environment } from './environment.js';

/** The part of GET /v1/rollouts/:id the example reads. */
export interface RolloutState {
  phase: string;
  stageName: string | null;
  appliedWeightPercent: number | null;
  desiredWeightPercent: number;
  terminal: boolean;
  outcome: string | null;
}

export interface StoredEvent {
  type: string;
  at: number;
  data: Record<string, unknown>;
}

export interface HealthyResult {
  rolloutId: string;
  outcome: string | null;
  /** Stages entered, in order, with the weight nginx served. */
  stages: string[];
  /** Weight the nginx marker serves at the end. */
  servedWeightPercent: number;
  durationMs: number;
}

export interface FaultyResult {
  rolloutId: string;
  outcome: string | null;
  servedWeightPercent: number;
  /** Canary weight when the fault started. */
  weightPercent: number;
  /** Requests per second nginx sent to the candidate before the fault, from its access log. */
  candidateRatePerSecond: number;
  faultStartedAt: number;
  /** From the fault starting to the daemon deciding to roll back (the rollback.started event). */
  faultToDecisionMs: number | undefined;
  /** From the fault starting to the last request nginx sent to the candidate, from nginx's access log ($msec). */
  faultToZeroMs: number;
  /** Requests nginx sent to the candidate after the fault started. */
  candidateRequestsAfterFault: number;
}

const POLL_MS = 50;

function specFor(environment: Environment, id: string, stages: object[]): string {
  return JSON.stringify({
    id,
    service: 'checkout',
    baseline: 'v1',
    candidate: 'v2',
    window: '250ms',
    stages,
    adapter: { type: 'nginx', options: { ...environment.nginx.adapterOptions, verifyIntervalMs: 10 } },
    // The daemon tails nginx's access log itself: the only source of samples.
    sources: {
      accessLog: {
        path: environment.nginx.accessLogPath,
        baselineAddresses: [environment.stable.address],
        candidateAddresses: [environment.candidate.address],
        pollIntervalMs: 25,
      },
    },
  });
}

const errorRateGate = { kind: 'errorRate', maxPercent: 5, samplesMin: 5, sustainWindows: 1 };

async function createRollout(environment: Environment, id: string, stages: object[]): Promise<void> {
  const created = await environment.daemon.request('POST', '/v1/rollouts', specFor(environment, id, stages));
  if (created.status !== 201) throw new Error(`creating rollout ${id} failed: ${created.status} ${JSON.stringify(created.body)}`);
}

/** The rollout's state from the daemon (also used by examples/kubernetes-gateway-canary). */
export async function stateOf(environment: Pick<Environment, 'daemon'>, id: string): Promise<RolloutState> {
  const response = await environment.daemon.request('GET', `/v1/rollouts/${id}`);
  if (response.status !== 200) throw new Error(`GET rollout ${id}: ${response.status} ${JSON.stringify(response.body)}`);
  return (response.body as { rollout: { state: RolloutState } }).rollout.state;
}

export async function waitFor(environment: Pick<Environment, 'daemon'>, id: string, what: string, timeoutMs: number, done: (s: RolloutState) => boolean): Promise<RolloutState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await stateOf(environment, id);
    if (done(state)) return state;
    if (Date.now() > deadline) {
      throw new Error(`rollout ${id}: ${what} not reached within ${timeoutMs} ms; state ${JSON.stringify(state)}\n${environment.daemon.output().slice(-3_000)}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export async function eventsOf(environment: Pick<Environment, 'daemon'>, id: string): Promise<StoredEvent[]> {
  const response = await environment.daemon.request('GET', `/v1/rollouts/${id}/events?from=0&limit=10000`);
  const body = response.body as { events?: StoredEvent[] } | StoredEvent[];
  return Array.isArray(body) ? body : (body.events ?? []);
}

async function servedWeight(environment: Environment): Promise<number> {
  const response = await fetch(`http://${environment.nginx.markerListen}/_sluice/generation`);
  return ((await response.json()) as { weightPercent: number }).weightPercent;
}

/** A healthy candidate goes through canary → ramp → rollout (durations shortened) to 100%. */
export async function runHealthyRollout(environment: Environment, id = `healthy-${Date.now()}`): Promise<HealthyResult> {
  const startedAt = Date.now();
  environment.candidate.setFaulty(false);
  await createRollout(environment, id, [
    // At 10% of a few hundred requests/s a 250 ms window holds only a handful of canary requests.
    { name: 'canary', weightPercent: 10, durationMin: '2s', samplesMin: 20, gates: [{ ...errorRateGate, samplesMin: 3 }] },
    { name: 'ramp', weightPercent: 50, durationMin: '2s', samplesMin: 50, gates: [errorRateGate] },
    { name: 'rollout', weightPercent: 100, durationMin: '1s', samplesMin: 50, gates: [errorRateGate] },
  ]);
  environment.log(`${id}: healthy candidate, stages 10% → 50% → 100%`);
  const final = await waitFor(environment, id, 'the end of the rollout', 60_000, (s) => s.terminal);
  const stages = (await eventsOf(environment, id)).filter((e) => e.type === 'stage.entered').map((e) => `${String(e.data.stage)} ${String(e.data.weightPercent)}%`);
  const result = { rolloutId: id, outcome: final.outcome, stages, servedWeightPercent: await servedWeight(environment), durationMs: Date.now() - startedAt };
  environment.log(`${id}: ${result.outcome}; stages ${stages.join(' → ')}; nginx serves ${result.servedWeightPercent}% to the candidate`);
  return result;
}

/**
 * A candidate that starts failing every request (HTTP 500) while it takes `weightPercent` of the traffic. The time to
 * 0% is read from nginx's own access log: the last request nginx sent to the candidate, minus the fault's start.
 */
export async function runFaultyRollout(environment: Environment, options: { weightPercent?: number; settleMs?: number; id?: string } = {}): Promise<FaultyResult> {
  const id = options.id ?? `faulty-${Date.now()}`;
  const weightPercent = options.weightPercent ?? 50;
  environment.candidate.setFaulty(false);
  await createRollout(environment, id, [{ name: 'canary', weightPercent, durationMin: '10m', samplesMin: 20, gates: [errorRateGate] }]);
  await waitFor(environment, id, `canary weight ${weightPercent}% applied`, 30_000, (s) => s.appliedWeightPercent === weightPercent);
  // Let a few healthy windows pass, as in a real rollout, and measure the candidate's request rate meanwhile.
  const healthyFrom = Date.now();
  await new Promise((r) => setTimeout(r, 1_500));
  const faultStartedAt = Date.now();
  environment.candidate.setFaulty(true);
  environment.log(`${id}: candidate at ${weightPercent}% starts failing every request`);
  const final = await waitFor(environment, id, 'rollback', 30_000, (s) => s.terminal);
  // Keep the load running so that any request still reaching the candidate shows up in the access log.
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
    servedWeightPercent: await servedWeight(environment),
    weightPercent,
    candidateRatePerSecond: Math.round(healthyCount / ((faultStartedAt - healthyFrom - 250) / 1000)),
    faultStartedAt,
    faultToDecisionMs: rollbackStarted ? rollbackStarted.at - faultStartedAt : undefined,
    faultToZeroMs: lastCandidateAt - faultStartedAt,
    candidateRequestsAfterFault: afterFault.length,
  };
  environment.log(
    `${id}: ${result.outcome}; fault → rollback decision ${result.faultToDecisionMs ?? '?'} ms, fault → nginx serving 0% ${result.faultToZeroMs} ms ` +
      `(${result.candidateRequestsAfterFault} failed requests reached the candidate at ~${result.candidateRatePerSecond} requests/s)`,
  );
  return result;
}
