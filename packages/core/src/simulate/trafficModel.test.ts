import { describe, expect, it } from 'vitest';
import { SpecValidationError } from '../errors.js';
import { parseTrafficModel } from './trafficModel.js';

const arm = { errorRate: 0.01, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } };
const valid = { seed: 42, durationMs: 21_600_000, requestsPerSecond: 200, baseline: arm, canary: arm };

describe('parseTrafficModel', () => {
  it('accepts the documented example and sorts changes by time', () => {
    const model = parseTrafficModel({
      ...valid,
      changes: [
        { atMs: 900_000, arm: 'both', latencyMultiplier: 2 },
        { atMs: 600_000, arm: 'canary', errorRate: 0.02, latencyMultiplier: 1.5 },
      ],
      diurnal: { amplitude: 0.3, periodMs: 86_400_000 },
    });
    expect(model.changes.map((c) => c.atMs)).toEqual([600_000, 900_000]);
  });

  it('names every bad field at once with code SLUICE_E_TRAFFIC_MODEL_INVALID', () => {
    let caught: unknown;
    try {
      parseTrafficModel({ ...valid, canary: { ...arm, errorRate: 2 }, changes: [{ atMs: 5, arm: 'blue' }], extra: true }, 'model.json');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SpecValidationError);
    const error = caught as SpecValidationError;
    expect(error.code).toBe('SLUICE_E_TRAFFIC_MODEL_INVALID');
    const paths = error.issues.map((i) => i.path);
    expect(paths).toContain('canary.errorRate');
    expect(paths).toContain('changes[0].arm');
    // Each issue shows what was given, as spec issues do, so the user sees the bad value beside the rule.
    expect(error.issues.find((i) => i.path === 'canary.errorRate')?.message).toMatch(/\(got 2\)$/);
    expect(error.message).toMatch(/^model\.json: /);
  });
});
