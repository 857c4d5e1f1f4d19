import type { Environment } from './environment.js';

/** The part of GET /v1/rollouts/:id the example reads. */
interface RolloutState {
  phase: string;
  appliedWeightPercent: number | null;
  terminal: boolean;
  outcome: string | null;
}

interface StoredEvent {
  type: string;
  at: number;
  data: Record<string, unknown>;
}

export interface HealthyResult {
  rolloutId: string;
  outcome: string | null;
  stages: string[];
  /** Share of the calls answered by the candidate in the last second, from the clients' own outcomes. */
  candidateSharePercent: number;
  durationMs: number;
}

export interface FaultyResult {
  rolloutId: string;
  outcome: string | null;
  weightPercent: number;
  /** Calls per second the candidate answered before the fault, from the clients' outcomes. */
  candidateRatePerSecond: number;
  faultStartedAt: number;
  faultToDecisionMs: number | undefined;
  /** From the fault starting to the last call a client saw answered by the candidate. */
  faultToZeroMs: number;
  candidateCallsAfterFault: number;
  /** Share of the calls answered by the candidate in the second after the measurement, which must be 0. */
  candidateShareAfterPercent: number;
}

const POLL_MS = 50;
const errorRateGate = { kind: 'errorRate', maxPercent: 5, samplesMin: 5, sustainWindows: 1 };

function specFor(environment: Environment, id: string, versions: { baseline: 'v1' | 'v2'; candidate: 'v2' | 'v3' }, stages: object[]): string {
  return JSON.stringify({
    id,
    service: 'greeter',
    baseline: versions.baseline,
    candidate: versions.candidate,
    window: '250ms',
    stages,
    // The rollout owns the RouteConfiguration `greeter-route` on the daemon's xDS server; every client process's node
    // id must ACK a weight before it counts as applied.
    adapter: {
      type: 'envoy',
      options: {
        routeConfiguration: 'greeter-route',
        stableCluster: `greeter-${versions.baseline}`,
        canaryCluster: `greeter-${versions.candidate}`,
        resourcesFile: environment.resourcesFile,
        nodes: environment.clients.nodeIds,
        verifyTimeoutMs: 5_000,
      },
    },
  });
}

async function createRollout(environment: Environment, id: string, spec: string): Promise<void> {
  const created = await environment.daemon.request('POST', '/v1/rollouts', spec);
  if (created.status !== 201) throw new Error(`creating rollout ${id} failed: ${created.status} ${JSON.stringify(created.body)}`);
}

async function stateOf(environment: Environment, id: string): Promise<RolloutState> {
  const response = await environment.daemon.request('GET', `/v1/rollouts/${id}`);
  if (response.status !== 200) throw new Error(`GET rollout ${id}: ${response.status} ${JSON.stringify(response.body)}`);
  return (response.body as { rollout: { state: RolloutState } }).rollout.state;
}

async function waitFor(environment: Environment, id: string, what: string, timeoutMs: number, done: (s: RolloutState) => boolean): Promise<RolloutState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await stateOf(environment, id);
    if (done(state)) return state;
    if (Date.now() > deadline) throw new Error(`rollout ${id}: ${what} not reached within ${timeoutMs} ms; state ${JSON.stringify(state)}\n${environment.daemon.output().slice(-3_000)}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function eventsOf(environment: Environment, id: string): Promise<StoredEvent[]> {
  const response = await environment.daemon.request('GET', `/v1/rollouts/${id}/events?from=0&limit=10000`);
  const body = response.body as { events?: StoredEvent[] } | StoredEvent[];
  return Array.isArray(body) ? body : (body.events ?? []);
}

/** Share (%) of the calls answered by `version` among those answered at all, ending within [from, to). */
function shareOf(environment: Environment, version: string, from: number, to: number): number {
  const answered = environment.clients.outcomes.filter((o) => o.at >= from && o.at < to && o.version !== '');
  return answered.length === 0 ? NaN : Math.round((answered.filter((o) => o.version === version).length / answered.length) * 10_000) / 100;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** v1 → v2 through canary 10% → ramp 50% → rollout 100%, judged on the samples the clients' interceptors post. */
export async function runHealthyRollout(environment: Environment, id = `healthy-${Date.now()}`): Promise<HealthyResult> {
  const startedAt = Date.now();
  await createRollout(environment, id, specFor(environment, id, { baseline: 'v1', candidate: 'v2' }, [
    { name: 'canary', weightPercent: 10, durationMin: '2s', samplesMin: 20, gates: [{ ...errorRateGate, samplesMin: 3 }] },
    { name: 'ramp', weightPercent: 50, durationMin: '2s', samplesMin: 50, gates: [errorRateGate] },
    { name: 'rollout', weightPercent: 100, durationMin: '1s', samplesMin: 50, gates: [errorRateGate] },
  ]));
  environment.clients.reportTo(id, 'v1');
  // The first rollout brings the listener, clusters and route: only now can the clients' calls be answered.
  await environment.clients.ready(30_000);
  environment.log(`${id}: healthy candidate v2, stages 10% → 50% → 100%`);
  const final = await waitFor(environment, id, 'the end of the rollout', 60_000, (s) => s.terminal);
  await sleep(1_000);
  const stages = (await eventsOf(environment, id)).filter((e) => e.type === 'stage.entered').map((e) => `${String(e.data.stage)} ${String(e.data.weightPercent)}%`);
  const result: HealthyResult = { rolloutId: id, outcome: final.outcome, stages, candidateSharePercent: shareOf(environment, 'v2', Date.now() - 1_000, Date.now()), durationMs: Date.now() - startedAt };
  environment.log(`${id}: ${result.outcome}; stages ${stages.join(' → ')}; the clients' calls answered by v2 in the last second: ${result.candidateSharePercent}%`);
  return result;
}

/**
 * v2 (now stable) → v3, one stage at `weightPercent`; once the weight is ACKed and healthy traffic has flowed, v3
 * fails every call. The time to 0% is read from the clients' own outcomes: the last call v3 answered, minus the fault.
 */
export async function runFaultyRollout(environment: Environment, options: { weightPercent?: number; settleMs?: number; id?: string } = {}): Promise<FaultyResult> {
  const id = options.id ?? `faulty-${Date.now()}`;
  const weightPercent = options.weightPercent ?? 50;
  const v3 = environment.services.v3;
  v3.setFaulty(false);
  await createRollout(environment, id, specFor(environment, id, { baseline: 'v2', candidate: 'v3' }, [{ name: 'canary', weightPercent, durationMin: '10m', samplesMin: 20, gates: [errorRateGate] }]));
  environment.clients.reportTo(id, 'v2');
  await waitFor(environment, id, `canary weight ${weightPercent}% applied`, 30_000, (s) => s.appliedWeightPercent === weightPercent);
  const healthyFrom = Date.now();
  await sleep(1_500);
  const faultStartedAt = Date.now();
  v3.setFaulty(true);
  environment.log(`${id}: candidate v3 at ${weightPercent}% starts failing every call`);
  const final = await waitFor(environment, id, 'rollback', 30_000, (s) => s.terminal);
  await sleep(options.settleMs ?? 1_500);
  const measuredAt = Date.now();
  v3.setFaulty(false);

  const v3Outcomes = environment.clients.outcomes.filter((o) => o.version === 'v3');
  const healthyCount = v3Outcomes.filter((o) => o.at >= healthyFrom + 250 && o.at < faultStartedAt).length;
  const afterFault = v3Outcomes.filter((o) => o.at >= faultStartedAt);
  const lastAt = afterFault.reduce((last, o) => Math.max(last, o.at), faultStartedAt);
  const rollbackStarted = (await eventsOf(environment, id)).find((e) => e.type === 'rollback.started');
  const result: FaultyResult = {
    rolloutId: id,
    outcome: final.outcome,
    weightPercent,
    candidateRatePerSecond: Math.round(healthyCount / ((faultStartedAt - healthyFrom - 250) / 1000)),
    faultStartedAt,
    faultToDecisionMs: rollbackStarted ? rollbackStarted.at - faultStartedAt : undefined,
    faultToZeroMs: lastAt - faultStartedAt,
    candidateCallsAfterFault: afterFault.length,
    candidateShareAfterPercent: shareOf(environment, 'v3', measuredAt - 1_000, measuredAt),
  };
  environment.log(
    `${id}: ${result.outcome}; fault → rollback decision ${result.faultToDecisionMs ?? '?'} ms, fault → the clients' last call to v3 ${result.faultToZeroMs} ms ` +
      `(${result.candidateCallsAfterFault} failed calls reached v3 at ~${result.candidateRatePerSecond} calls/s)`,
  );
  return result;
}
