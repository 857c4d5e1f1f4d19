import { createHash } from 'node:crypto';
import { type AnyStoredEvent, type NewInputEvent, type OperatorCommand, type RolloutSpec, type TrafficAdapter } from '@sluice/core';
import { EventLog, RolloutNotFoundError, RolloutSession } from '@sluice/core';
import type { Logger } from 'pino';
import { DaemonError } from '../errors.js';
import type { EventBus } from './EventBus.js';

/** A rollout the daemon drives: its session (state rebuilt from the log) and the spec's fingerprint. */
export interface RolloutEntry {
  readonly id: string;
  readonly spec: RolloutSpec;
  readonly specDigest: string;
  session: RolloutSession;
}

/** What an adapter factory needs to know about a rollout. */
export type AdapterFactory = (rollout: { id: string; spec: RolloutSpec }) => TrafficAdapter;

/** A rollout set aside at start because its log could not be loaded. */
export interface QuarantinedRollout {
  rolloutId: string;
  /** The error's code (SLUICE_E_SPEC_INVALID, SLUICE_E_EVENT_INVALID, …). */
  code: string;
  reason: string;
}

/** Called after events committed, in order: reconciler, notifications, sources, metrics. */
export type CommittedListener = (entry: RolloutEntry, events: readonly AnyStoredEvent[]) => void;

/**
 * Ended rollouts kept in memory after a request read them from the log (GET one, a command to it), the most recently
 * used ones. Every other ended rollout is only in the log: the daemon's memory does not grow with its history.
 */
export const ENDED_CACHE_MAX = 16;

export interface RuntimeInput {
  rolloutId: string;
  input: NewInputEvent;
}

/**
 * The rollouts of one daemon: creates and loads sessions, feeds them inputs (several in one durable commit when the
 * scheduler closes many windows at once), and publishes what was appended. All of it is synchronous — SQLite appends
 * and machine transitions — so inputs to one rollout are serialised by construction; only adapters and sources,
 * which are asynchronous, run outside and come back here with their results as inputs.
 *
 * In memory ("resident") are the rollouts the daemon drives: every active one, and an ended one until the reconciler
 * has verified its final weight (`release`). Ended rollouts are read from the log when asked for (`lookup`) and kept
 * in a small cache of ENDED_CACHE_MAX; one session per rollout either way, so appends stay in order.
 */
export class RolloutRuntime {
  readonly #log: EventLog;
  readonly #bus: EventBus;
  readonly #logger: Logger;
  /** The rollouts the daemon drives (see the class comment). */
  readonly #entries = new Map<string, RolloutEntry>();
  /** Ended rollouts loaded on demand, least recently used first (a Map keeps insertion order). */
  readonly #ended = new Map<string, RolloutEntry>();
  readonly #listeners: CommittedListener[] = [];
  readonly #releaseListeners: ((rolloutId: string) => void)[] = [];
  /** Rollouts whose log could not be loaded at start (recovery.ts): kept out of the runtime, reported, never dropped. */
  readonly #quarantined = new Map<string, QuarantinedRollout>();

  constructor(log: EventLog, bus: EventBus, logger: Logger) {
    this.#log = log;
    this.#bus = bus;
    this.#logger = logger;
  }

  onCommitted(listener: CommittedListener): void {
    this.#listeners.push(listener);
  }

  /** Called when a rollout leaves the resident set (it ended and nothing drives it any more). */
  onReleased(listener: (rolloutId: string) => void): void {
    this.#releaseListeners.push(listener);
  }

  /** A rollout the daemon drives (active, or ended with its final weight not verified yet); undefined otherwise. */
  get(rolloutId: string): RolloutEntry | undefined {
    return this.#entries.get(rolloutId);
  }

  /** The rollouts the daemon drives. */
  entries(): IterableIterator<RolloutEntry> {
    return this.#entries.values();
  }

  /**
   * Any rollout of the log: a resident one, or an ended one read from the log (and cached). Undefined when the log has
   * no such rollout, or when it is quarantined.
   */
  lookup(rolloutId: string): RolloutEntry | undefined {
    const entry = this.#entries.get(rolloutId) ?? this.#cached(rolloutId);
    if (entry || this.#quarantined.has(rolloutId) || this.#log.nextPosition(rolloutId) === 0) return entry;
    const loaded = this.#entryOf(rolloutId, RolloutSession.load(this.#log, rolloutId));
    this.#cache(loaded);
    return loaded;
  }

  /** Whether the log holds this rollout (resident, ended, or quarantined), without reading its events. */
  exists(rolloutId: string): boolean {
    return this.#entries.has(rolloutId) || this.#quarantined.has(rolloutId) || this.#log.nextPosition(rolloutId) > 0;
  }

  /**
   * A rollout that ended and whose final weight is verified leaves memory (the reconciler calls this): later reads load
   * it from the log. An active rollout is never released.
   */
  release(rolloutId: string): void {
    const entry = this.#entries.get(rolloutId);
    if (!entry || !entry.session.view.terminal) return;
    this.#entries.delete(rolloutId);
    this.#cache(entry);
    for (const listener of this.#releaseListeners) {
      try {
        listener(rolloutId);
      } catch (error) {
        this.#logger.error({ rolloutId, err: error }, 'listener of a released rollout failed');
      }
    }
  }

  /**
   * Sets a rollout aside whose log cannot be loaded any more (a stored spec this build refuses, an event it cannot
   * read): the other rollouts run, this one is reported on /readyz, GET /v1/rollouts and `sluice status`, its id stays
   * taken, and its journal rows are kept for a build that can load it.
   */
  quarantine(rolloutId: string, error: unknown): QuarantinedRollout {
    const code = (error as { code?: unknown }).code;
    const quarantined: QuarantinedRollout = { rolloutId, code: typeof code === 'string' ? code : 'SLUICE_E_INTERNAL', reason: (error as Error).message ?? String(error) };
    this.#quarantined.set(rolloutId, quarantined);
    this.#entries.delete(rolloutId);
    this.#ended.delete(rolloutId);
    return quarantined;
  }

  quarantined(): QuarantinedRollout[] {
    return [...this.#quarantined.values()];
  }

  isQuarantined(rolloutId: string): boolean {
    return this.#quarantined.has(rolloutId);
  }

  /** Rebuilds one rollout from the log and makes it resident (start-up recovery: the rollouts to drive). */
  load(rolloutId: string): RolloutEntry {
    const entry = this.#entryOf(rolloutId, RolloutSession.load(this.#log, rolloutId));
    this.#ended.delete(rolloutId);
    this.#entries.set(rolloutId, entry);
    return entry;
  }

  #entryOf(rolloutId: string, session: RolloutSession): RolloutEntry {
    const spec = session.view.spec;
    if (!spec) throw new RolloutNotFoundError(rolloutId);
    return { id: rolloutId, spec, specDigest: digestSpec(spec), session };
  }

  #cached(rolloutId: string): RolloutEntry | undefined {
    const entry = this.#ended.get(rolloutId);
    if (entry) {
      // Most recently used last.
      this.#ended.delete(rolloutId);
      this.#ended.set(rolloutId, entry);
    }
    return entry;
  }

  #cache(entry: RolloutEntry): void {
    this.#ended.delete(entry.id);
    this.#ended.set(entry.id, entry);
    while (this.#ended.size > ENDED_CACHE_MAX) this.#ended.delete(this.#ended.keys().next().value!);
  }

  /**
   * Creates a rollout, idempotently by id: the same spec again returns the existing rollout (`created: false`); a
   * different spec for an existing id is SLUICE_E_SPEC_CONFLICT (409) — ids are unique in the log for ever.
   */
  create(spec: RolloutSpec, at: number): { entry: RolloutEntry; created: boolean } {
    const specDigest = digestSpec(spec);
    const quarantined = this.#quarantined.get(spec.id);
    // An ended rollout is read from the log to compare its spec (ids are unique in the log for ever).
    const existing = quarantined ? undefined : this.lookup(spec.id);
    if (quarantined) {
      throw new DaemonError('SLUICE_E_SPEC_CONFLICT', `rollout "${spec.id}" exists in the log but is quarantined (${quarantined.reason}); rollout ids are unique in the log — give the new rollout another id`);
    }
    if (existing) {
      if (existing.specDigest === specDigest) return { entry: existing, created: false };
      const state = existing.session.view.terminal ? 'ended' : 'running';
      throw new DaemonError(
        'SLUICE_E_SPEC_CONFLICT',
        `rollout "${spec.id}" already exists (${state}) with a different spec; rollout ids are unique in the log — give the new rollout another id`,
      );
    }
    const session = RolloutSession.create(this.#log, spec, at);
    const entry: RolloutEntry = { id: spec.id, spec, specDigest, session };
    this.#entries.set(spec.id, entry);
    const events = [...this.#log.read(spec.id, 0)];
    this.#committed(entry, events);
    return { entry, created: true };
  }

  /** Feeds one input to one rollout and publishes what was appended. */
  ingest(rolloutId: string, input: NewInputEvent): AnyStoredEvent[] {
    return this.ingestMany([{ rolloutId, input }]).get(rolloutId) ?? [];
  }

  /** An operator command as an input event; a command that makes no sense now is recorded as `command.rejected`. */
  command(rolloutId: string, command: OperatorCommand, at: number, actor?: string, reason?: string): AnyStoredEvent[] {
    this.require(rolloutId);
    const data: { command: OperatorCommand; actor?: string; reason?: string } = { command };
    if (actor) data.actor = actor;
    if (reason) data.reason = reason;
    return this.ingest(rolloutId, { type: 'command.issued', at, data });
  }

  /**
   * Feeds many inputs in one durable commit (group commit of window closes and ticks). The answer has an entry for
   * every rollout whose inputs were stored, with the events appended (decisions, and the stored inputs when someone
   * needs them, see #ingestOne). If the commit fails, sessions touched by it are reloaded from the log (their memory
   * may be ahead of it) and each input is retried in its own commit, so one failing rollout never blocks the others;
   * the ids of rollouts with an input that still failed are added to `failed`.
   */
  ingestMany(inputs: readonly RuntimeInput[], failed?: Set<string>): Map<string, AnyStoredEvent[]> {
    const appended = new Map<string, AnyStoredEvent[]>();
    if (inputs.length === 0) return appended;
    try {
      this.#log.transaction(() => {
        for (const { rolloutId, input } of inputs) this.#ingestOne(rolloutId, input, appended);
      });
    } catch (error) {
      if (inputs.length === 1) {
        this.#reload(inputs[0]!.rolloutId);
        throw error;
      }
      appended.clear();
      for (const rolloutId of new Set(inputs.map((i) => i.rolloutId))) this.#reload(rolloutId);
      for (const { rolloutId, input } of inputs) {
        try {
          this.#log.transaction(() => this.#ingestOne(rolloutId, input, appended));
        } catch (single) {
          failed?.add(rolloutId);
          this.#reload(rolloutId);
          this.#logger.error({ rolloutId, err: single, input: input.type }, 'input could not be appended; the rollout was reloaded from the log');
        }
      }
    }
    for (const [rolloutId, events] of appended) {
      const entry = this.#entries.get(rolloutId) ?? this.#ended.get(rolloutId);
      if (entry && events.length > 0) this.#committed(entry, events);
    }
    return appended;
  }

  /** Any rollout of the log (see `lookup`), or SLUICE_E_ROLLOUT_QUARANTINED / SLUICE_E_ROLLOUT_NOT_FOUND. */
  require(rolloutId: string): RolloutEntry {
    const entry = this.lookup(rolloutId);
    if (!entry) {
      const quarantined = this.#quarantined.get(rolloutId);
      if (quarantined) throw new DaemonError('SLUICE_E_ROLLOUT_QUARANTINED', `rollout "${rolloutId}" is quarantined: its log could not be loaded at start (${quarantined.reason}); inspect it with \`sluice audit --db\` or \`sluice verify --db\``);
      throw new RolloutNotFoundError(rolloutId);
    }
    return entry;
  }

  /**
   * A rollout that takes observations: resident and not ended. An ended one is refused with SLUICE_E_ROLLOUT_TERMINAL
   * without reading it from the log; an unknown or quarantined one as `require` does.
   */
  requireActive(rolloutId: string): RolloutEntry {
    const entry = this.#entries.get(rolloutId);
    if (entry && !entry.session.view.terminal) return entry;
    if (!entry && (this.#quarantined.has(rolloutId) || !this.exists(rolloutId))) return this.require(rolloutId);
    const phase = entry ? ` (${String(entry.session.view.phase)})` : '';
    throw new DaemonError('SLUICE_E_ROLLOUT_TERMINAL', `rollout "${rolloutId}" has ended${phase}; it takes no more observations`);
  }

  #ingestOne(rolloutId: string, input: NewInputEvent, appended: Map<string, AnyStoredEvent[]>): void {
    const entry = this.require(rolloutId);
    const before = entry.session.nextPosition;
    const decisions = entry.session.ingest(input);
    if (entry.session.nextPosition === before) return; // a tick that decided nothing is not stored
    // The session returns the decisions only. The stored input is read back (inside the transaction) when someone
    // needs it — a live stream, an API answer, a notification of `weight.applyFailed` — but not for the scheduler's
    // windows and ticks nobody watches, which at 1,000 rollouts would double the reads of every tick.
    const needsInput = this.#bus.hasSubscribers(rolloutId) || (input.type !== 'samples.window' && input.type !== 'tick');
    const events = needsInput ? [...this.#log.read(rolloutId, before)] : decisions;
    const list = appended.get(rolloutId);
    if (list) list.push(...events);
    else appended.set(rolloutId, [...events]);
  }

  /**
   * Replaces the session of the existing entry in place: the reconciler holds entries across adapter calls, and a new
   * entry object would leave it reading the session whose memory ran ahead of the rolled-back commit.
   */
  #reload(rolloutId: string): void {
    const entry = this.#entries.get(rolloutId) ?? this.#ended.get(rolloutId);
    if (!entry) return;
    try {
      entry.session = RolloutSession.load(this.#log, rolloutId);
    } catch (error) {
      this.#logger.error({ rolloutId, err: error }, 'cannot reload rollout from the log');
    }
  }

  #committed(entry: RolloutEntry, events: readonly AnyStoredEvent[]): void {
    this.#bus.publish(events);
    for (const listener of this.#listeners) {
      try {
        listener(entry, events);
      } catch (error) {
        this.#logger.error({ rolloutId: entry.id, err: error }, 'listener of committed events failed');
      }
    }
  }
}

/** A spec's identity for idempotent creation: SHA-256 of its canonical JSON (keys sorted). */
export function digestSpec(spec: RolloutSpec): string {
  return createHash('sha256').update(canonical(spec)).digest('hex');
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value as object).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
}
