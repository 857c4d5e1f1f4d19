import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { initialTransition, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { OPERATOR_COMMANDS, type NewInputEvent } from '../events/eventTypes.js';
import { inertTransition, type RolloutSnapshot } from './decider.js';
import { toMachineEvent } from './rolloutContext.js';
import { createRolloutMachine } from './rolloutMachine.js';
import { input, SECOND, T0, testGateEvaluatorFor, testSpec } from './testing/fixtures.js';

/**
 * The decider folds with one reused inert actor scope, taken from XState's public `transition` (decider.ts,
 * inertTransition). This is the test that fails when what that relies on changes in XState — a scope that keeps
 * state between calls, or actions not handed to `actionExecutor` — so that an upgrade of the pinned version is decided
 * by a test, not found in production: the reused scope must give exactly what the public `transition` gives.
 */
const machine = createRolloutMachine(testGateEvaluatorFor);
const [initial] = initialTransition(machine);

const step = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('window' as const), dt: fc.integer({ min: 0, max: 30 }), canary: fc.integer({ min: 0, max: 20 }), errors: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('apply' as const), dt: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('health' as const), dt: fc.integer({ min: 0, max: 30 }), ok: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('command' as const), dt: fc.integer({ min: 0, max: 30 }), command: fc.constantFrom(...OPERATOR_COMMANDS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), dt: fc.integer({ min: 0, max: 400 }) }) },
);

describe('the decider\'s reused XState scope', () => {
  it('gives the snapshots and actions of XState\'s public transition, input by input (property)', () => {
    const spec = testSpec({ rollback: { mode: 'gradual', stepsPercent: [20, 5], stepDuration: '20s' } });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 120 }), (steps) => {
        const fold = inertTransition(machine, initial);
        let reused: RolloutSnapshot = initial;
        let reference: RolloutSnapshot = initial;
        let at = T0;
        const feed = (next: NewInputEvent) => {
          const event = toMachineEvent(next);
          const actions: unknown[] = [];
          reused = fold(reused, event, (action) => actions.push({ type: action.type, params: action.params }));
          const [snapshot, referenceActions] = transition(machine, reference, event);
          reference = snapshot;
          expect(reused.value).toEqual(reference.value);
          expect(reused.context).toEqual(reference.context);
          expect(reused.status).toBe(reference.status);
          expect(actions).toEqual(referenceActions.map((action) => ({ type: action.type, params: action.params })));
        };
        feed(input.created(spec, at));
        for (const s of steps) {
          at += s.dt * SECOND;
          const context = reused.context;
          if (s.kind === 'window') feed(input.window(at, s.canary, Math.min(s.errors, s.canary)));
          else if (s.kind === 'apply') feed(input.applied(context.desiredGeneration, context.desiredWeightPercent, at));
          else if (s.kind === 'health') feed(input.health(s.ok, at));
          else if (s.kind === 'command') feed(input.command(s.command, at));
          else feed(input.tick(at));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('runs on the exact xstate version it was checked with (an upgrade is a deliberate change of package.json)', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    expect(manifest.dependencies['xstate']).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
