import { describe, expect, it } from 'vitest';
import { shortDuration, weightBar } from './format.js';

describe('weightBar', () => {
  it('fills in proportion to the weight, with two decimals, in a fixed width', () => {
    expect(weightBar(0, 10)).toBe('[----------]   0.00%');
    expect(weightBar(12.5, 10)).toBe('[#---------]  12.50%');
    expect(weightBar(100, 10)).toBe('[##########] 100.00%');
  });

  it('shows a weight nothing has verified yet as an empty bar reading "none", in the same width', () => {
    expect(weightBar(null, 10)).toBe('[          ]    none');
    expect(weightBar(undefined, 10)).toHaveLength(weightBar(50, 10).length);
  });
});

describe('shortDuration', () => {
  it('is compact at every scale', () => {
    expect([4_000, 185_000, 7_260_000].map(shortDuration)).toEqual(['4s', '3m05s', '2h01m']);
  });
});
