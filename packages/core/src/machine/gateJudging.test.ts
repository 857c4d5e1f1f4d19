import { describe, expect, it } from 'vitest';
import { contextOf, createRolloutDecider } from './decider.js';
import { input, testGateEvaluatorFor, testSpec } from './testing/fixtures.js';
import { s } from './testing/scenarios.js';

const decider = createRolloutDecider({ gateEvaluatorFor: testGateEvaluatorFor });

function judgingState(gateNames: string[]) {
  const gates = gateNames.map((name) => ({ kind: 'errorRate' as const, name, maxPercent: 5, samplesMin: 1 }));
  const spec = testSpec({ stages: [{ name: 'canary', weightPercent: 5, durationMin: '1m', durationMax: '5m', samplesMin: 10, gates }] });
  let state = decider.initialState();
  for (const event of [input.created(spec), input.applied(1, 5, s(1))]) state = decider.decide(state, event).state;
  return state;
}

describe('observeGates', () => {
  it('leaves the previous state as it was: its gate states and latest verdicts are copied, not changed', () => {
    const before = judgingState(['first', 'second']);
    const first = decider.decide(before, input.window(s(10), 10, 0)).state;
    const frozen = { gateStates: [...contextOf(first).gateStates], lastVerdicts: { ...contextOf(first).lastVerdicts } };
    const second = decider.decide(first, input.window(s(15), 10, 10)).state;
    expect(contextOf(first).gateStates).toEqual(frozen.gateStates);
    expect(contextOf(first).lastVerdicts).toStrictEqual(frozen.lastVerdicts);
    expect(contextOf(second).lastVerdicts.first).not.toBe(contextOf(first).lastVerdicts.first);
    expect(Object.keys(contextOf(second).lastVerdicts)).toEqual(['first', 'second']);
  });

  it('records the verdict of a gate named "__proto__" as an entry, not as the prototype', () => {
    const state = decider.decide(judgingState(['__proto__', 'other']), input.window(s(10), 10, 0)).state;
    const lastVerdicts = contextOf(state).lastVerdicts;
    expect(Object.getPrototypeOf(lastVerdicts)).toBe(Object.prototype);
    expect(Object.keys(lastVerdicts)).toEqual(['__proto__', 'other']);
    expect(Object.getOwnPropertyDescriptor(lastVerdicts, '__proto__')?.value).toMatchObject({ gate: '__proto__', verdict: 'pass' });
  });
});
