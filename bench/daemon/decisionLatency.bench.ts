import type { TrafficAdapter, WeightState } from '@sluice/core';
import { Pool } from 'undici';
import { eventually, startInProcessDaemon } from './inProcessDaemon.js';
import { defineSuite } from '../lib/benchmark.js';

/**
 * Decision latency: from the scheduler tick that judges the window crossing a circuit breaker to the adapter's
 * `apply` call for the rollback (weight 0). In-process daemon (real SQLite, real HTTP ingest), an adapter that records
 * when `apply` is called. Two cases: one breaker per window (the decision is the only one of its tick), and the worst
 * case, ROLLOUTS breakers in the same window, judged by one tick in one commit.
 */
const ROLLOUTS = 200;
const WINDOW_MS = 1_000;
const GRACE_MS = 100;
const TICK_MS = 50;
const STAGGERED_ROLLOUTS = 20;
const STAGGERED_WINDOW_MS = 200;

interface Run {
  decisionToApplyMs: number[];
  windowEndToApplyMs: number[];
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function runOnce(rollouts: number, windowMs: number, staggered: boolean): Promise<Run> {
  const applyCalledAt = new Map<string, number>();
  const createAdapter = (entry: { id: string }): TrafficAdapter => {
    let served: WeightState = { weightPercent: 0, generation: 0 };
    return {
      type: 'bench',
      async apply(desired) {
        if (desired.weightPercent === 0 && !applyCalledAt.has(entry.id)) applyCalledAt.set(entry.id, Date.now());
        served = { ...desired };
        return served;
      },
      async read() {
        return served;
      },
      async health() {
        return { ok: true };
      },
      async close() {},
    };
  };
  const test = await startInProcessDaemon({ tickMs: TICK_MS, windowGraceMs: GRACE_MS, readBackIntervalMs: 60_000 }, createAdapter);
  const pool = new Pool(test.daemon.url, { connections: 16 });
  try {
    for (let i = 0; i < rollouts; i++) {
      const spec = { id: `d${i}`, service: 'bench', baseline: 'v1', candidate: 'v2', window: windowMs, stages: [{ name: 'canary', weightPercent: 10, durationMin: '1h', gates: [{ kind: 'errorRate', maxPercent: 5, samplesMin: 20 }] }] };
      const response = await pool.request({ path: '/v1/rollouts', method: 'POST', headers: test.headers, body: JSON.stringify(spec) });
      await response.body.dump();
    }
    await eventually('every rollout at 10%', () => ([...test.daemon.runtime.entries()].every((e) => e.session.view.appliedWeightPercent === 10) ? true : undefined));
    // A window that started before the weight was verified mixes two weights and is not judged alone: post into the
    // first window that starts after every rollout's 10% was applied.
    const appliedAt = Math.max(...[...test.daemon.runtime.entries()].map((e) => e.session.view.stageWeightAppliedAt ?? 0));
    const nextWindowAt = appliedAt - (appliedAt % windowMs) + windowMs + 20;
    if (Date.now() < nextWindowAt) await new Promise((resolve) => setTimeout(resolve, nextWindowAt - Date.now()));
    // Half the canary's requests fail: far above the 5% breaker.
    const batch = Array.from({ length: 60 }, (_, i) => JSON.stringify({ variant: 'canary', ok: i % 2 === 0, latencyMs: 5 })).join('\n');
    const trip = async (i: number): Promise<void> => {
      const response = await pool.request({ path: `/v1/rollouts/d${i}/samples`, method: 'POST', headers: test.headers, body: batch });
      await response.body.dump();
    };
    if (staggered) {
      // One rollout per window: each decision is the only one of its tick.
      for (let i = 0; i < rollouts; i++) {
        await trip(i);
        await eventually(`rollback of d${i} applied`, () => (applyCalledAt.has(`d${i}`) ? true : undefined), 60_000);
        const now = Date.now();
        await new Promise((resolve) => setTimeout(resolve, now - (now % windowMs) + windowMs + 20 - now));
      }
    } else {
      await Promise.all(Array.from({ length: rollouts }, (_, i) => trip(i)));
    }
    await eventually('every rollback applied', () => (applyCalledAt.size === rollouts ? true : undefined), 60_000);
    const run: Run = { decisionToApplyMs: [], windowEndToApplyMs: [] };
    for (let i = 0; i < rollouts; i++) {
      const events = [...test.daemon.log.read(`d${i}`)];
      const started = events.find((e) => e.type === 'rollback.started');
      const window = [...events].reverse().find((e) => e.type === 'samples.window' && e.at <= (started?.at ?? 0));
      if (!started || !window || window.type !== 'samples.window') throw new Error(`d${i}: no rollback`);
      run.decisionToApplyMs.push(applyCalledAt.get(`d${i}`)! - started.at);
      run.windowEndToApplyMs.push(applyCalledAt.get(`d${i}`)! - window.data.windowEndAt);
    }
    run.decisionToApplyMs.sort((a, b) => a - b);
    run.windowEndToApplyMs.sort((a, b) => a - b);
    return run;
  } finally {
    await pool.close();
    await test.stop();
  }
}

export default defineSuite({
  name: 'daemon: decision latency',
  cases: [
    {
      name: 'breaker window judged → adapter.apply(0), p99',
      unit: 'ms',
      runs: 3,
      warmup: false,
      note: `${STAGGERED_ROLLOUTS} rollouts, each tripping an error-rate breaker in its own ${STAGGERED_WINDOW_MS} ms window; from the judging tick's time (\`rollback.started.at\`) to the adapter's apply call. Target p99 < 100 ms.`,
      async measure() {
        return summary(await runOnce(STAGGERED_ROLLOUTS, STAGGERED_WINDOW_MS, true));
      },
      target: { valueMax: 100 },
    },
    {
      name: `${ROLLOUTS} breakers in one window → last apply(0), p99`,
      unit: 'ms',
      runs: 3,
      warmup: false,
      note: `Worst case: ${ROLLOUTS} rollouts trip in the same ${WINDOW_MS} ms window, so one tick judges all of them in one commit and the last rollback waits for the others.`,
      async measure() {
        return summary(await runOnce(ROLLOUTS, WINDOW_MS, false));
      },
    },
  ],
});

function summary(run: Run): { value: number; detail: string } {
  return {
    value: quantile(run.decisionToApplyMs, 0.99),
    detail: `decision → apply p50 ${quantile(run.decisionToApplyMs, 0.5)} ms, p99 ${quantile(run.decisionToApplyMs, 0.99)} ms; window end → apply p50 ${quantile(run.windowEndToApplyMs, 0.5)} ms, p99 ${quantile(run.windowEndToApplyMs, 0.99)} ms (includes the ${GRACE_MS} ms grace and the ${TICK_MS} ms tick).`,
  };
}
