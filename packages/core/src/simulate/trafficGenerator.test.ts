import { describe, expect, it } from 'vitest';
import { countSlowerThanMs, createLatencyHistogram, decodeLatencyHistogram, encodeLatencyHistogram } from '../histogram/index.js';
import { createRandom } from './prng.js';
import { latencyCdf, latencyComponents, latencyQuantileMs } from './latencyDistribution.js';
import { generateWindow } from './trafficGenerator.js';
import { parseTrafficModel } from './trafficModel.js';

const bimodal = { mixture: [{ weight: 0.8, lognormal: { median: 20, sigma: 0.3 } }, { weight: 0.2, lognormal: { median: 200, sigma: 0.4 } }] };
const model = parseTrafficModel({
  seed: 1,
  durationMs: 60_000,
  requestsPerSecond: 4_000,
  baseline: { errorRate: 0.01, latencyMs: bimodal },
  canary: { errorRate: 0.01, latencyMs: bimodal },
});
const segments = [{ fromMs: 0, toMs: 5_000, weightPercent: 10 }];

describe('generateWindow', () => {
  it('draws a mixture with the distribution\'s shape (exact sampling)', () => {
    const window = generateWindow(createRandom(7), model, segments, 0);
    const histogram = decodeLatencyHistogram(window.baseline.latencyHistogram);
    const components = latencyComponents(bimodal);
    // ~18,000 draws: the share slower than x is within 0.015 of 1 − F(x) (3-4 standard errors), on both modes and the gap.
    for (const xMs of [15, 20, 30, 60, 150, 200, 400]) {
      const slower = countSlowerThanMs(histogram, xMs) / histogram.totalCount;
      expect(Math.abs(slower - (1 - latencyCdf(components, xMs)))).toBeLessThan(0.015);
    }
  });

  it('with latency bins, encodes exactly what recording the same values would, from the distribution’s quantiles', () => {
    const window = generateWindow(createRandom(7), model, segments, 0, 256);
    for (const arm of [window.baseline, window.canary]) {
      const decoded = decodeLatencyHistogram(arm.latencyHistogram);
      expect(decoded.totalCount).toBe(arm.count);
      // Record the decoded buckets' values one by one into a fresh histogram: the same encoding comes out.
      const { indexes, counts } = decoded.toSparse();
      const recorded = createLatencyHistogram();
      const values = new Map<number, number>();
      for (let b = 0; b < 256; b++) {
        const valueUs = Math.round(latencyQuantileMs(latencyComponents(bimodal), (b + 0.5) / 256) * 1000);
        const one = createLatencyHistogram();
        one.recordValue(valueUs);
        values.set(one.toSparse().indexes[0]!, valueUs);
      }
      for (let i = 0; i < indexes.length; i++) {
        expect(values.has(indexes[i]!)).toBe(true); // every bucket drawn is one of the bins'
        recorded.recordValueWithCount(values.get(indexes[i]!)!, counts[i]!);
      }
      expect(encodeLatencyHistogram(recorded)).toBe(arm.latencyHistogram);
    }
    // Same seed, same window.
    expect(generateWindow(createRandom(7), model, segments, 0, 256)).toEqual(window);
  });
});
