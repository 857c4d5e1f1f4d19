import type { NewInputEvent } from '../../events/eventTypes.js';
import type { RolloutSpec } from '../../spec/specSchema.js';
import type { RolloutPhase } from '../rolloutContext.js';
import { input, SECOND, T0, testSpec } from './fixtures.js';

/** Time `n` seconds after T0. */
export const s = (n: number): number => T0 + n * SECOND;

/** Healthy windows (10 canary requests, no errors) closing every 5 s from second `from` to `to` inclusive. */
export function healthyWindows(from: number, to: number, canaryCount = 10): NewInputEvent[] {
  const windows: NewInputEvent[] = [];
  for (let t = from; t <= to; t += 5) windows.push(input.window(s(t), canaryCount, 0));
  return windows;
}

/**
 * Input prefixes that bring the test spec (canary 5% → ramp 50% → rollout 100%, 1 min each, errorRate ≤ 5%, rollout
 * holds on failure) into each phase. The canary's weight is applied at 1 s; windows from 6 s pass it at 61 s.
 */
export function scenario(phase: RolloutPhase, spec: RolloutSpec = testSpec()): NewInputEvent[] {
  const created = [input.created(spec)];
  const canary = [...created, input.applied(1, 5, s(1))];
  const ramp = [...canary, ...healthyWindows(6, 61)];
  const rampApplied = [...ramp, input.applied(2, 50, s(62))];
  switch (phase) {
    case 'pending':
      return [];
    case 'progressing':
      return canary;
    case 'awaitingApproval': {
      const first = spec.stages[0]!;
      return scenario('progressing', { ...spec, stages: [{ ...first, approval: { manual: true } }, ...spec.stages.slice(1)] }).concat(healthyWindows(6, 61));
    }
    case 'paused':
      return [...canary, input.command('pause', s(20))];
    case 'holding': {
      const rollout = [...rampApplied, ...healthyWindows(67, 122), input.applied(3, 100, s(123))];
      return [...rollout, input.window(s(128), 10, 9)];
    }
    case 'completing':
      return [...canary, input.command('promoteFull', s(10))];
    case 'rollingBack':
      return [...rampApplied, input.window(s(67), 10, 9)];
    case 'rolledBack':
      return [...scenario('rollingBack', spec), input.applied(3, 0, s(68))];
    case 'completed':
      return [...scenario('completing', spec), input.applied(2, 100, s(11))];
    case 'aborted':
      return [...canary, input.command('abort', s(10))];
  }
}
