import { describe, expect, it } from 'vitest';
import { gateSchema } from './gateSchema.js';

describe('breaker confidence', () => {
  it('defaults to 0.99 for the error-rate and latency breakers', () => {
    expect(gateSchema.parse({ kind: 'errorRate', maxPercent: 20 })).toMatchObject({ confidence: 0.99 });
    expect(gateSchema.parse({ kind: 'latency', maxMs: 2_000 })).toMatchObject({ confidence: 0.99 });
  });

  it('accepts 0 (observed values, no test) and values below 1', () => {
    expect(gateSchema.parse({ kind: 'errorRate', maxPercent: 20, confidence: 0 })).toMatchObject({ confidence: 0 });
    expect(gateSchema.parse({ kind: 'latency', maxMs: 2_000, confidence: 0.999 })).toMatchObject({ confidence: 0.999 });
  });

  it('refuses 1 (no block could ever fail) and values outside [0, 1), naming the field', () => {
    for (const confidence of [1, -0.1, 99]) {
      const result = gateSchema.safeParse({ kind: 'errorRate', maxPercent: 20, confidence });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['confidence']);
    }
  });

  it('is not a field of the metric breaker or of the Flagger and Argo presets, which keep their raw thresholds', () => {
    for (const gate of [{ kind: 'metric', metric: 'cpu', max: 1 }, { kind: 'flagger' }, { kind: 'argo' }]) {
      expect(gateSchema.safeParse({ ...gate, confidence: 0.99 }).success).toBe(false);
    }
  });
});
