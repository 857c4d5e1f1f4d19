import { describe, expect, it } from 'vitest';
import { storableEvidence } from './storableEvidence.js';

describe('storableEvidence', () => {
  it('returns finite evidence as it is', () => {
    const evidence = { summary: 'ok', rate: 0.5, nested: { values: [1, 2] } };
    expect(storableEvidence(evidence)).toBe(evidence);
  });

  it('replaces NaN and Infinity with null and names where they were', () => {
    expect(storableEvidence({ summary: 'bad', rate: Number.NaN, nested: { values: [1, Number.POSITIVE_INFINITY] } })).toEqual({
      summary: 'bad',
      rate: null,
      nested: { values: [1, null] },
      nonFiniteFields: ['rate', 'nested.values[1]'],
    });
  });
});
