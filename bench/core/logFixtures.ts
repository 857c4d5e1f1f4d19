import { SampleRecorder, type NewEvent, type SampleWindowData } from '@sluice/core';

/**
 * Event streams for the log benchmarks: per rollout and per 5 s window, one `samples.window` input (with real
 * histograms, as the recorder encodes them) and two `gate.evaluated` decisions carrying evidence. A rollout's log
 * holds a verdict only when it says something new (docs/log.md), so this is a heavier stream of rows than one
 * writes; it measures the cost of appending and reading rows of both kinds.
 */
export const WINDOW_MS = 5_000;

/** A deterministic pseudo-random generator, so every run measures the same data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A latency in ms from a long-tailed distribution around `medianMs`. */
export function latencyMs(random: () => number, medianMs: number): number {
  const u = Math.max(random(), 1e-9);
  return medianMs * Math.exp(0.6 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random()));
}

/** `windows` closed sample windows with `samplesPerVariant` requests each. */
export function sampleWindows(windows: number, samplesPerVariant: number, seed = 1): SampleWindowData[] {
  const random = seededRandom(seed);
  const recorder = new SampleRecorder();
  recorder.open('fixture', WINDOW_MS);
  const closed: SampleWindowData[] = [];
  for (let w = 0; w < windows; w++) {
    const start = 1_700_000_000_000 + w * WINDOW_MS;
    for (let i = 0; i < samplesPerVariant; i++) {
      const at = start + Math.floor((i / samplesPerVariant) * WINDOW_MS);
      recorder.record('fixture', { variant: 'baseline', at, ok: random() > 0.002, latencyMs: latencyMs(random, 40) });
      recorder.record('fixture', { variant: 'canary', at, ok: random() > 0.003, latencyMs: latencyMs(random, 42) });
    }
    closed.push(...recorder.closeDue(start + WINDOW_MS).map((c) => c.window));
  }
  return closed;
}

/** The events of one rollout: for each window, a samples.window input and two gate.evaluated decisions. */
export function rolloutEvents(windows: readonly SampleWindowData[]): NewEvent[][] {
  return windows.map((window, w): NewEvent[] => {
    const at = window.windowEndAt;
    const errorRate = window.canary.errors / Math.max(1, window.canary.count);
    return [
      { type: 'samples.window', at, data: window },
      {
        type: 'gate.evaluated',
        at,
        data: {
          stage: 'canary',
          gate: 'errorRate',
          kind: 'errorRate',
          verdict: 'inconclusive',
          evidence: { summary: `canary error rate ${(errorRate * 100).toFixed(2)}% over ${w + 1} window(s)`, errorRate, limit: 0.01, samples: window.canary.count },
        },
      },
      {
        type: 'gate.evaluated',
        at,
        data: {
          stage: 'canary',
          gate: 'latencyP99',
          kind: 'latency',
          verdict: 'pass',
          evidence: { summary: 'canary p99 181 ms ≤ 200 ms', latencyMsP99: 181.2, limitMs: 200, samples: window.canary.count },
        },
      },
    ];
  });
}
