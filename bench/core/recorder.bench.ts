import { SampleRecorder, createLatencyHistogram, encodeLatencyHistogram, type LatencyHistogram, type RequestSample } from '@sluice/core';
import { defineSuite, operationsPerSecond } from '../lib/benchmark.js';
import { latencyMs, seededRandom, WINDOW_MS } from './logFixtures.js';

/**
 * SampleRecorder against a bare HdrHistogram record loop producing the same output: per rollout × window × variant, a
 * histogram of the same samples, compressed. The recorder validates each sample, finds its rollout and window, counts
 * errors, keeps the latency, then closes the windows (building and encoding their histograms). The reference walks the
 * same samples, converts ms to µs and calls `recordValue` on the histogram picked by an index computed beforehand
 * (presized, so it pays no auto-resize), then encodes every histogram — no validation, no lookups, no windows.
 */
const ROLLOUTS = 50;
const WINDOWS = 4;
const SAMPLES = 400_000;
const START_AT = 1_700_000_000_000;

let samples: { rolloutId: string; sample: RequestSample }[] = [];
/** For the reference: the histogram (rollout × window × variant) of each sample, computed beforehand. */
let histogramIndex = new Uint16Array(0);
let highestLatencyUs = 2;

export default defineSuite({
  name: 'core: sample recorder',
  setup() {
    const random = seededRandom(7);
    samples = Array.from({ length: SAMPLES }, (_, i) => {
      const variant = random() < 0.1 ? 'canary' : 'baseline';
      const at = START_AT + Math.floor((i / SAMPLES) * WINDOW_MS * WINDOWS);
      const sample: RequestSample = { variant, at, ok: random() > 0.002, latencyMs: latencyMs(random, 40) };
      return { rolloutId: `rollout-${i % ROLLOUTS}`, sample };
    });
    highestLatencyUs = samples.reduce((max, s) => Math.max(max, Math.round(s.sample.latencyMs * 1000)), 2);
    histogramIndex = Uint16Array.from(samples, ({ sample }, i) => {
      const window = Math.floor((sample.at - START_AT) / WINDOW_MS);
      return ((i % ROLLOUTS) * WINDOWS + window) * 2 + (sample.variant === 'canary' ? 1 : 0);
    });
  },
  cases: [
    {
      name: 'SampleRecorder.record + closeDue',
      unit: 'samples/s',
      note: `${SAMPLES.toLocaleString('en-US')} samples over ${ROLLOUTS} rollouts and ${WINDOWS} windows of 5 s (all open at once, within the bound), 10% canary, then every window closed and encoded.`,
      measure() {
        const recorder = new SampleRecorder();
        for (let r = 0; r < ROLLOUTS; r++) recorder.open(`rollout-${r}`, WINDOW_MS);
        let accepted = 0;
        let closed = 0;
        const rate = operationsPerSecond(SAMPLES, () => {
          for (const { rolloutId, sample } of samples) if (recorder.record(rolloutId, sample)) accepted++;
          closed = recorder.closeDue(START_AT + WINDOWS * WINDOW_MS).length;
        });
        if (accepted !== SAMPLES || closed !== ROLLOUTS * WINDOWS) throw new Error(`recorded ${accepted} samples, closed ${closed} windows`);
        return rate;
      },
      reference: {
        name: 'bare recordValue loop + encode',
        measure() {
          const histograms: LatencyHistogram[] = Array.from({ length: ROLLOUTS * WINDOWS * 2 }, () => createLatencyHistogram(highestLatencyUs));
          let bytes = 0;
          const rate = operationsPerSecond(SAMPLES, () => {
            for (let i = 0; i < samples.length; i++) {
              histograms[histogramIndex[i]!]!.recordValue(Math.round(samples[i]!.sample.latencyMs * 1000));
            }
            for (const histogram of histograms) bytes += encodeLatencyHistogram(histogram).length;
          });
          if (bytes === 0) throw new Error('nothing encoded');
          return rate;
        },
      },
      runs: 7,
      target: { ratioMin: 0.5 },
    },
  ],
});
