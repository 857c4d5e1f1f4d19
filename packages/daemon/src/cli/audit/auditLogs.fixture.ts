import {
  EventLog,
  parseTrafficModel,
  runSimulation,
  sessionDriver,
  SIMULATION_EPOCH_MS,
  validateSpec,
  type NewInputEvent,
  type RolloutDriver,
  type RolloutSpecInput,
  type RolloutView,
} from '@sluice/core';

/**
 * Real logs for the audit tests, made by the simulator (`runSimulation` with a session over a SQLite file) plus an
 * operator who pauses, resumes, sends a command the machine rejects, and approves. Deterministic (seeded traffic).
 *   - `ok`:  canary 10% (manual approval) → full 100%, a healthy candidate: completed.
 *   - `bad`: the same plan, a candidate failing 2% of requests against the baseline's 0.1%, with a comparative gate as
 *     well: under the 10% breaker, but the comparative gate fails it, and it rolls back from the canary gradually
 *     (5%, then 0).
 *   - `held`: a canary with `onFail: hold` failing 30% of requests: it holds, and the operator aborts it.
 */
export const OPERATOR = 'cli:alice';
export const START_AT = SIMULATION_EPOCH_MS;

export function writeAuditLogs(file: string): void {
  const log = EventLog.open(file);
  try {
    simulate(log, 'ok', 0.001);
    simulate(log, 'bad', 0.02);
    simulate(log, 'held', 0.3);
  } finally {
    log.close();
  }
}

function specFor(id: string, comparative: boolean, onFail: 'rollback' | 'hold'): RolloutSpecInput {
  const breaker = { kind: 'errorRate' as const, maxPercent: 10, samplesMin: 50 };
  const gates = comparative ? [breaker, { kind: 'compareErrorRate' as const, alpha: 0.001 }] : [breaker];
  return {
    id,
    service: 'checkout',
    baseline: 'v1',
    candidate: 'v2',
    rollback: { mode: 'gradual', stepsPercent: [5], stepDuration: '2s' },
    stages: [
      { name: 'canary', weightPercent: 10, durationMin: '1m', samplesMin: 100, gates, approval: { manual: true }, onFail },
      { name: 'full', weightPercent: 100, durationMin: '1m', samplesMin: 100, gates },
    ],
  };
}

function simulate(log: EventLog, id: string, canaryErrorRate: number): void {
  const arm = (errorRate: number) => ({ errorRate, latencyMs: { lognormal: { median: 40, sigma: 0.5 } } });
  const model = parseTrafficModel({ seed: 7, durationMs: 900_000, requestsPerSecond: 200, baseline: arm(0.001), canary: arm(canaryErrorRate) });
  runSimulation(validateSpec(specFor(id, canaryErrorRate > 0.01 && canaryErrorRate < 0.1, id === 'held' ? 'hold' : 'rollback')), model, {
    applyDelayMs: 1_500,
    driver: (spec, at) => withOperator(sessionDriver(log, spec, at)),
  });
}

/** An operator acting on the rollout, in virtual time, between the simulator's inputs. */
function withOperator(driver: RolloutDriver): RolloutDriver {
  const command = (at: number, name: 'pause' | 'resume' | 'approve' | 'abort', reason: string): NewInputEvent => ({
    type: 'command.issued',
    at,
    data: { command: name, actor: OPERATOR, reason },
  });
  let approved = false;
  const script = (input: NewInputEvent, view: RolloutView): NewInputEvent[] => {
    if (input.type !== 'tick') return [];
    const t = input.at - START_AT;
    if (t === 20_000 && view.phase === 'progressing') return [command(input.at, 'pause', 'checking dashboards')];
    if (t === 30_000) return [command(input.at, 'resume', 'dashboards fine'), command(input.at, 'resume', 'double click')];
    if (view.phase === 'holding') return [command(input.at, 'abort', 'the candidate fails; aborting')];
    if (view.phase === 'awaitingApproval' && !approved) {
      approved = true;
      return [command(input.at, 'approve', 'canary looks good')];
    }
    return [];
  };
  return {
    initialDecisions: driver.initialDecisions,
    view: () => driver.view(),
    ingest(input) {
      const decisions = driver.ingest(input);
      for (const next of script(input, driver.view())) decisions.push(...driver.ingest(next));
      return decisions;
    },
  };
}
