import { SampleRecorder, createLatencyHistogram, type RequestSample } from '@sluice/core';
import { defineSuite, operationsPerSecond } from '../lib/benchmark.js';
import { latencyMs, seededRandom, WINDOW_MS } from './logFixtures.js';

/**
 * SampleRecorder.record against a bare HdrHistogram record loop over the same latencies.
 * The recorder validates each sample, finds its rollout and window, counts errors and records the latency; the
 * reference walks the same samples and only converts ms to µs and calls `recordValue` on the histogram of the
 * sample's rollout and variant, chosen by an index computed beforehand (same number of hot histograms, so the same
 * cache behaviour; no validation, no lookup, no windows).
 */
const ROLLOUTS = 50;
const SAMPLES = 400_000;

let samples: { rolloutId: string; sample: RequestSample }[] = [];
/** For the reference: the histogram (rollout × variant) of each sample, computed beforehand. */
let histogramIndex = new Uint16Array(0);
let highestLatencyUs = 2;

export default defineSuite({
  name: 'core: sample recorder',
  setup() {
    const random = seededRandom(7);
    const start = 1_700_000_000_000;
    samples = Array.from({ length: SAMPLES }, (_, i) => {
      const variant = random() < 0.1 ? 'canary' : 'baseline';
      const sample: RequestSample = { variant, at: start + Math.floor((i / SAMPLES) * WINDOW_MS * 4), ok: random() > 0.002, latencyMs: latencyMs(random, 40) };
      return { rolloutId: `rollout-${i % ROLLOUTS}`, sample };
    });
    highestLatencyUs = samples.reduce((max, s) => Math.max(max, Math.round(s.sample.latencyMs * 1000)), 2);
    histogramIndex = Uint16Array.from(samples, (s, i) => (i % ROLLOUTS) * 2 + (s.sample.variant === 'canary' ? 1 : 0));
  },
  cases: [
    {
      name: 'SampleRecorder.record',
      unit: 'samples/s',
      note: `${SAMPLES.toLocaleString('en-US')} samples over ${ROLLOUTS} rollouts and 4 windows of 5 s (all open at once, within the bound), 10% canary. Closing and encoding windows is measured apart.`,
      measure() {
        const recorder = new SampleRecorder();
        for (let r = 0; r < ROLLOUTS; r++) recorder.open(`rollout-${r}`, WINDOW_MS);
        let accepted = 0;
        const rate = operationsPerSecond(SAMPLES, () => {
          for (const { rolloutId, sample } of samples) if (recorder.record(rolloutId, sample)) accepted++;
        });
        if (accepted !== SAMPLES) throw new Error(`recorded ${accepted} of ${SAMPLES} samples`);
        return rate;
      },
      reference: {
        name: 'bare recordValue loop',
        measure() {
          // Presized for the data, so the reference pays no auto-resize: the strongest bare loop.
          const histograms = Array.from({ length: ROLLOUTS * 2 }, () => createLatencyHistogram(highestLatencyUs));
          return operationsPerSecond(SAMPLES, () => {
            for (let i = 0; i < samples.length; i++) {
              histograms[histogramIndex[i]!]!.recordValue(Math.round(samples[i]!.sample.latencyMs * 1000));
            }
          });
        },
      },
      runs: 7,
      target: { ratioMin: 0.5 },
    },
  ],
});
