import { describe, expect, it } from 'vitest';
import { EVENT_VERSIONS } from './eventTypes.js';
import { upgradeEventData } from './upgrade.js';

describe('reading old event versions (EVENT_UPGRADERS)', () => {
  it('reads a version 1 rollout.created as a log that holds every verdict', () => {
    const spec = { id: 'r' };
    expect(upgradeEventData('rollout.created', 1, { spec })).toEqual({ spec, verdicts: 'every' });
    expect(upgradeEventData('rollout.created', EVENT_VERSIONS['rollout.created'], { spec, verdicts: 'new' })).toEqual({ spec, verdicts: 'new' });
  });

  it('reads a version 1 samples.window as it is: the codec reads its compressed histograms', () => {
    const window = { windowStartAt: 0, windowEndAt: 5_000, baseline: { count: 1, errors: 0, latencyHistogram: 'HISTFAAAAB94nJNpmSzMwMDAwMIAA4wMDAxOZ8HkNTuBAwBPcgTl' }, canary: { count: 0, errors: 0, latencyHistogram: '' } };
    expect(upgradeEventData('samples.window', 1, window)).toBe(window);
    expect(EVENT_VERSIONS['samples.window']).toBe(2);
  });

  it('refuses a version newer than this build knows, saying to upgrade', () => {
    expect(() => upgradeEventData('rollout.created', EVENT_VERSIONS['rollout.created'] + 1, {})).toThrow(/newer than this Sluice knows/);
  });
});
