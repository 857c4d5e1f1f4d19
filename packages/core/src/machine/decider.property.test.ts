import fc from 'fast-check';
import { transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { OPERATOR_COMMANDS, type GateEvaluatedData, type NewDecisionEvent, type NewInputEvent } from '../events/eventTypes.js';
import { replay } from '../replay/replay.js';
import { RolloutSession } from '../rollout/RolloutSession.js';
import type { RolloutSpec } from '../spec/specSchema.js';
import { createRolloutDecider } from './decider.js';
import { VERDICT_DECIDING_DECISIONS } from './gateJudging.js';
import { toMachineEvent } from './rolloutContext.js';
import { createRolloutMachine } from './rolloutMachine.js';
import type { RolloutView } from './rolloutView.js';
import { input, SECOND, T0, testGateEvaluatorFor, testSpec } from './testing/fixtures.js';
import { MemoryLog } from './testing/memoryLog.js';

const decider = createRolloutDecider({ gateEvaluatorFor: testGateEvaluatorFor });
const machine = createRolloutMachine(testGateEvaluatorFor);

const SPECS: RolloutSpec[] = [
  testSpec(),
  testSpec({ rollback: { mode: 'gradual', stepsPercent: [40, 10, 2], stepDuration: '20s' } }),
  testSpec({
    stages: [
      { name: 'canary', weightPercent: 10, durationMin: '30s', samplesMin: 5, approval: { manual: true }, gates: [{ kind: 'errorRate', maxPercent: 20, samplesMin: 1 }, { kind: 'health', failuresMax: 2 }] },
      { name: 'ramp', weightPercent: 60, durationMin: '30s', durationMax: '90s', samplesMin: 0, onMaxDuration: { action: 'extend', extendBy: '30s', extensionsMax: 2 }, gates: [] },
      { name: 'final', weightPercent: 80, durationMin: '10s', samplesMin: 5, onFail: 'hold', gates: [{ kind: 'errorRate', maxPercent: 20, samplesMin: 1 }] },
    ],
  }),
];

type Action =
  | { kind: 'window'; dt: number; canary: number; errorShare: number }
  | { kind: 'health'; dt: number; ok: boolean }
  | { kind: 'command'; dt: number; command: (typeof OPERATOR_COMMANDS)[number] }
  | { kind: 'apply' | 'applyFailed' | 'tick'; dt: number }
  | { kind: 'applyStale'; dt: number; weight: number };

const dt = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 10 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 200 }) });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('window' as const), dt, canary: fc.integer({ min: 0, max: 20 }), errorShare: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0.1, 0.5, 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('health' as const), dt, ok: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('command' as const), dt, command: fc.constantFrom(...OPERATOR_COMMANDS) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('apply' as const), dt }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('apply' as const, 'applyFailed' as const, 'tick' as const), dt }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('applyStale' as const), dt, weight: fc.integer({ min: 0, max: 100 }) }) },
);

interface Step {
  input: NewInputEvent;
  decisions: NewDecisionEvent[];
  computed: readonly NewDecisionEvent[];
  before: RolloutView;
  after: RolloutView;
}

function toInput(a: Action, at: number, view: RolloutView): NewInputEvent {
  switch (a.kind) {
    case 'window':
      return input.window(at, a.canary, Math.round(a.canary * a.errorShare), a.canary * 9);
    case 'health':
      return input.health(a.ok, at);
    case 'command':
      return input.command(a.command, at);
    case 'apply':
      return input.applied(view.desiredGeneration, view.desiredWeightPercent, at);
    case 'applyStale':
      return input.applied(Math.max(0, view.desiredGeneration - 1), a.weight, at);
    case 'applyFailed':
      return input.applyFailed(view.desiredGeneration, view.desiredWeightPercent, at);
    case 'tick':
      return input.tick(at);
  }
}

/** Runs the actions through a session over an in-memory log, then lets a rollback or completion finish. */
function run(spec: RolloutSpec, actions: Action[]) {
  const log = new MemoryLog();
  const session = RolloutSession.create(log, spec, T0, { decider });
  const steps: Step[] = [];
  let at = T0;
  const feed = (next: NewInputEvent) => {
    const before = session.view;
    const previous = session.state;
    const { decisions, computed } = decider.decide(previous, next);
    const stored = session.ingest(next);
    expect(stored.map((e) => ({ type: e.type, at: e.at, data: e.data }))).toEqual(decisions);
    steps.push({ input: next, decisions, computed, before, after: session.view });
    if (next.type === 'tick' && decisions.length === 0) {
      // The raw machine, without the decider's guard, changes nothing on such a tick either.
      const [snapshot] = transition(machine, previous.snapshot, toMachineEvent(next));
      expect(snapshot.value).toEqual(previous.snapshot.value);
      expect(snapshot.context).toEqual(previous.snapshot.context);
      expect(session.state).toBe(previous);
    }
  };
  for (const a of actions) {
    at += a.dt * SECOND;
    feed(toInput(a, at, session.view));
  }
  for (let i = 0; i < 20 && !session.view.terminal && ['rollingBack', 'completing'].includes(session.view.phase); i++) {
    at += SECOND;
    feed(input.applied(session.view.desiredGeneration, session.view.desiredWeightPercent, at));
    at += 10 * 60 * SECOND;
    feed(input.tick(at));
  }
  return { log, session, steps };
}

const property = fc.tuple(fc.constantFrom(...SPECS), fc.array(action, { minLength: 1, maxLength: 200, size: 'max' }));

describe('properties over random input sequences', () => {
  it('desired weight always in [0, 100], two decimals', () => {
    fc.assert(
      fc.property(property, ([spec, actions]) => {
        for (const step of run(spec, actions).steps) {
          for (const d of step.decisions) {
            if (d.type !== 'weight.desired') continue;
            expect(d.data.weightPercent).toBeGreaterThanOrEqual(0);
            expect(d.data.weightPercent).toBeLessThanOrEqual(100);
          }
          expect(Math.round(step.after.desiredWeightPercent * 100)).toBe(step.after.desiredWeightPercent * 100);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('the weight only rises on stage entry (or promoteFull / completion), and generations only grow', () => {
    fc.assert(
      fc.property(property, ([spec, actions]) => {
        for (const step of run(spec, actions).steps) {
          let weight = step.before.desiredWeightPercent;
          let generation = step.before.desiredGeneration;
          for (const d of step.decisions) {
            if (d.type !== 'weight.desired') continue;
            if (d.data.weightPercent > weight) {
              const enteredStage = step.decisions.some((e) => e.type === 'stage.entered');
              expect(enteredStage || d.data.reason === 'promoteFull' || d.data.reason === 'complete').toBe(true);
            }
            expect(d.data.generation).toBe(generation + 1);
            weight = d.data.weightPercent;
            generation = d.data.generation;
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('every rollback and abort ends at weight 0; a rollback only lowers the weight', () => {
    fc.assert(
      fc.property(property, ([spec, actions]) => {
        const { session, steps } = run(spec, actions);
        const decisions = steps.flatMap((step) => step.decisions);
        const rollbackAt = decisions.findIndex((d) => d.type === 'rollback.started');
        const aborted = decisions.some((d) => d.type === 'aborted');
        if (aborted) expect(session.view).toMatchObject({ phase: 'aborted', desiredWeightPercent: 0 });
        if (rollbackAt >= 0 && !aborted) expect(session.view).toMatchObject({ phase: 'rolledBack', desiredWeightPercent: 0, appliedWeightPercent: 0 });
        if (rollbackAt >= 0) {
          const weights = decisions.slice(rollbackAt).flatMap((d) => (d.type === 'weight.desired' ? [d.data.weightPercent] : []));
          weights.forEach((w, i) => i > 0 && expect(w).toBeLessThan(weights[i - 1]!));
          expect(weights.at(-1)).toBe(0);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('nothing changes the weight after a terminal state', () => {
    fc.assert(
      fc.property(property, ([spec, actions]) => {
        for (const step of run(spec, actions).steps) {
          if (!step.before.terminal) continue;
          expect(step.decisions.filter((d) => d.type !== 'command.rejected')).toEqual([]);
          expect(step.after.desiredWeightPercent).toBe(step.before.desiredWeightPercent);
          expect(step.after.phase).toBe(step.before.phase);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('the log holds every change of a gate\'s verdict, and every gate\'s latest verdict at each decision (rule "new")', () => {
    fc.assert(
      fc.property(property, ([spec, actions]) => {
        // Per gate of the current stage visit: its last computed verdict, and the last one the log holds. Verdicts are
        // compared as values: the session's fold and this test's call make equal objects, not the same ones.
        const key = (data: GateEvaluatedData) => JSON.stringify(data);
        let computedLast = new Map<string, GateEvaluatedData>();
        let loggedLast = new Map<string, GateEvaluatedData>();
        for (const step of run(spec, actions).steps) {
          const others = (list: readonly NewDecisionEvent[]) => list.filter((d) => d.type !== 'gate.evaluated');
          expect(others(step.decisions)).toEqual(others(step.computed));
          const changed: GateEvaluatedData[] = [];
          const latestBefore = new Set([...computedLast.values()].map(key));
          const stageBefore = step.before.stageIndex;
          let decided = false;
          let exitComputed: Map<string, GateEvaluatedData> | null = null;
          let exitLogged: Map<string, GateEvaluatedData> | null = null;
          for (const d of step.computed) {
            if (d.type === 'stage.entered') {
              exitComputed = computedLast;
              computedLast = new Map();
            } else if (d.type === 'gate.evaluated') {
              if (computedLast.get(d.data.gate)?.verdict !== d.data.verdict) changed.push(d.data);
              computedLast.set(d.data.gate, d.data);
            }
            if (VERDICT_DECIDING_DECISIONS.has(d.type)) decided = true;
          }
          const computedNow = new Set(step.computed.flatMap((d) => (d.type === 'gate.evaluated' ? [key(d.data)] : [])));
          for (const d of step.decisions) {
            if (d.type === 'stage.entered') {
              exitLogged = loggedLast;
              loggedLast = new Map();
            }
            if (d.type !== 'gate.evaluated') continue;
            // Nothing is logged that the gates did not compute, now or as their latest verdict before.
            expect(computedNow.has(key(d.data)) || latestBefore.has(key(d.data))).toBe(true);
            loggedLast.set(d.data.gate, d.data);
          }
          const logged = new Set(step.decisions.flatMap((d) => (d.type === 'gate.evaluated' ? [key(d.data)] : [])));
          for (const data of changed) expect(logged.has(key(data))).toBe(true);
          // Left a stage: each gate's final verdict is in the log before the next stage's entry.
          if (exitComputed !== null) for (const [gate, data] of exitComputed) expect(exitLogged?.get(gate)).toEqual(data);
          if (decided && step.after.stageIndex === stageBefore && exitComputed === null) {
            for (const [gate, data] of computedLast) expect(loggedLast.get(gate)).toEqual(data);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('replay of the stored log reproduces every decision, and a session loaded from it has the same state', () => {
    fc.assert(
      fc.property(property, ([spec, actions]) => {
        const { log, session } = run(spec, actions);
        const result = replay(log, spec.id, { decider });
        expect(result.divergences).toEqual([]);
        expect(result.reproduced).toBe(true);
        expect(result.decisions.length).toBe(result.recordedDecisions);
        expect(result.view).toEqual(session.view);
        expect(RolloutSession.load(log, spec.id, { decider }).view).toEqual(session.view);
      }),
      { numRuns: 150 },
    );
  });
});
