import { AppendConflictError, EventInvalidError, RolloutExistsError, RolloutNotFoundError } from '../errors.js';
import { isInputType, type AnyStoredEvent, type NewInputEvent, type RecordedEvent } from '../events/eventTypes.js';
import type { EventLog } from '../log/EventLog.js';
import type { RolloutDecider, RolloutState } from '../machine/decider.js';
import { rolloutDecider } from '../machine/rollout.js';
import { rolloutView, type RolloutView } from '../machine/rolloutView.js';
import type { RolloutSpec } from '../spec/specSchema.js';

/** The part of the EventLog a session uses; tests may pass anything with this shape. */
export type RolloutLog = Pick<EventLog, 'append' | 'transaction' | 'read' | 'readRecorded' | 'nextPosition'>;

export interface RolloutSessionOptions {
  /** The decider to fold with; default the judge's (`rolloutDecider`). Tests inject their own gate evaluators. */
  decider?: RolloutDecider;
}

/** How many times `ingest` re-reads the log and decides again after another writer appended first. */
export const APPEND_CONFLICT_RETRIES_MAX = 3;

/**
 * One rollout's fold step over the log: the daemon and the simulator feed it inputs; it decides with the machine and
 * appends the input with its decisions in one transaction at the position it expects (optimistic concurrency). The
 * in-memory state moves only after the append succeeded, so it always equals the fold of what is stored.
 * Not safe for concurrent use from several async flows without a queue (it is synchronous, as the log is).
 */
export class RolloutSession {
  readonly rolloutId: string;
  private readonly log: RolloutLog;
  private readonly decider: RolloutDecider;
  private currentState: RolloutState;
  private position: number;

  private constructor(log: RolloutLog, rolloutId: string, decider: RolloutDecider, state: RolloutState, position: number) {
    this.log = log;
    this.rolloutId = rolloutId;
    this.decider = decider;
    this.currentState = state;
    this.position = position;
  }

  /**
   * Starts a rollout: appends `rollout.created` (with the validated spec) and its first decisions.
   * @throws RolloutExistsError (SLUICE_E_ROLLOUT_EXISTS) when the log already holds a rollout with the spec's id.
   */
  static create(log: RolloutLog, spec: RolloutSpec, at: number, options: RolloutSessionOptions = {}): RolloutSession {
    if (log.nextPosition(spec.id) > 0) throw rolloutExists(spec.id);
    const decider = options.decider ?? rolloutDecider;
    const session = new RolloutSession(log, spec.id, decider, decider.initialState(), 0);
    try {
      // The log says which verdicts it holds, so that a reader never has to infer it (docs/log.md).
      session.append({ type: 'rollout.created', at, data: { spec, verdicts: 'new' } }, 0);
    } catch (error) {
      // Another writer created the same id between our check and our append.
      if (error instanceof AppendConflictError) throw rolloutExists(spec.id, error);
      throw error;
    }
    return session;
  }

  /**
   * Rebuilds a rollout from the log by folding its stored inputs (crash recovery). Recorded decisions are not checked
   * here — that is replay's job; the state is what the current machine makes of the recorded inputs.
   * @throws RolloutNotFoundError when the log has no event for `rolloutId`.
   */
  static load(log: RolloutLog, rolloutId: string, options: RolloutSessionOptions = {}): RolloutSession {
    const decider = options.decider ?? rolloutDecider;
    const session = new RolloutSession(log, rolloutId, decider, decider.initialState(), 0);
    session.catchUp();
    if (session.position === 0) throw new RolloutNotFoundError(rolloutId);
    return session;
  }

  /**
   * Decides one input and appends it with its decisions in one transaction. A tick that decides nothing is not stored
   * and changes nothing. Returns the stored decisions (not the input).
   * @throws AppendConflictError after APPEND_CONFLICT_RETRIES_MAX re-reads when other writers keep appending first.
   */
  ingest(input: NewInputEvent): AnyStoredEvent[] {
    if (input.type === 'rollout.created') throw rolloutExists(this.rolloutId);
    return this.append(input, APPEND_CONFLICT_RETRIES_MAX);
  }

  get view(): RolloutView {
    return rolloutView(this.currentState);
  }

  get state(): RolloutState {
    return this.currentState;
  }

  /** The position the next appended event will take. */
  get nextPosition(): number {
    return this.position;
  }

  private append(input: NewInputEvent, retriesMax: number): AnyStoredEvent[] {
    for (let attempt = 0; ; attempt++) {
      const { state, decisions } = this.decider.decide(this.currentState, input);
      if (input.type === 'tick' && decisions.length === 0) return [];
      try {
        const stored = this.log.transaction(() => this.log.append(this.rolloutId, this.position, [input, ...decisions]));
        this.currentState = state;
        this.position += stored.length;
        return stored.slice(1);
      } catch (error) {
        if (!(error instanceof AppendConflictError) || attempt >= retriesMax) throw error;
        this.catchUp();
      }
    }
  }

  /** Folds the inputs appended since `position` (by us before a crash, or by another writer). */
  private catchUp(): void {
    for (const event of this.log.readRecorded(this.rolloutId, this.position)) {
      if (event.position !== this.position) {
        throw new EventInvalidError({ rolloutId: this.rolloutId, position: event.position, field: 'position' }, `expected position ${this.position}; the log has a gap`);
      }
      if (isInputType(event.type)) this.currentState = this.decider.decide(this.currentState, toInput(event)).state;
      this.position = event.position + 1;
    }
  }
}

/** A stored input as the machine takes it: type, time and data. */
export function toInput(event: RecordedEvent): NewInputEvent {
  return { type: event.type, at: event.at, data: event.data } as NewInputEvent;
}

function rolloutExists(rolloutId: string, cause?: unknown): RolloutExistsError {
  return new RolloutExistsError(rolloutId, cause === undefined ? undefined : { cause });
}
