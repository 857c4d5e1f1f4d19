import { validateAdapterOptions } from '@sluice/adapters';
import { validateAccessLogSource } from '../sources/accessLogSource.js';
import { ENDED_PAGE_MAX, OPERATOR_COMMANDS, parseSpecText, shownValue, SpecValidationError, UNPRINTABLE, type AnyStoredEvent, type EventLog, type OperatorCommand, type RolloutSpec } from '@sluice/core';
import { DaemonError } from '../errors.js';
import type { IngestPipeline, IngestResult } from '../ingest/IngestPipeline.js';
import { BATCH_LINES_MAX, countLines, parseSampleLines, REJECTED_LINES_REPORTED_MAX, type RejectedLine } from '../ingest/parseSamples.js';
import { parseWindowLines } from '../ingest/parseWindows.js';
import { planRollout, plannedTrafficFromSpec, planSummary, type PlanSummary } from '@sluice/core';
import { prometheusSourceOf } from '../sources/prometheusSource.js';
import { endedRolloutJson, rolloutJson } from './rolloutJson.js';
import type { RolloutEntry, RolloutRuntime } from './RolloutRuntime.js';

/** Command names in URLs (`promote-full`) and their operator commands. */
export const COMMANDS_BY_PATH: Record<string, OperatorCommand> = Object.fromEntries(
  OPERATOR_COMMANDS.map((c) => [c.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`), c]),
) as Record<string, OperatorCommand>;

/** Events returned by one JSON read of a rollout's events; page with `from`. */
export const EVENTS_PAGE_MAX = 10_000;

/** Ended rollouts listed by GET /v1/rollouts when `limit` is not given, and at most. */
export const LIST_ENDED_LIMIT_DEFAULT = 100;
export const LIST_ENDED_LIMIT_MAX = ENDED_PAGE_MAX;

/** The query of GET /v1/rollouts: which rollouts (`all` = active ones and a page of ended ones), how many ended, from where. */
export interface RolloutListQuery {
  state?: 'all' | 'active' | 'ended';
  limit?: number;
  /** `next` of the previous page: ended rollouts that ended before it. */
  before?: number;
}

/** Reads `?state=&limit=&before=` of GET /v1/rollouts; a bad value is SLUICE_E_BODY_INVALID naming the parameter. */
export function parseRolloutListQuery(query: URLSearchParams): RolloutListQuery {
  const parsed: RolloutListQuery = {};
  const state = query.get('state');
  if (state !== null) {
    if (state !== 'all' && state !== 'active' && state !== 'ended') throw new DaemonError('SLUICE_E_BODY_INVALID', `query parameter state must be all, active or ended, got ${JSON.stringify(state)}`);
    parsed.state = state;
  }
  const limit = query.get('limit');
  if (limit !== null) {
    if (!/^\d{1,7}$/.test(limit) || Number(limit) > LIST_ENDED_LIMIT_MAX) throw new DaemonError('SLUICE_E_BODY_INVALID', `query parameter limit must be an integer within 0–${LIST_ENDED_LIMIT_MAX}, got ${JSON.stringify(limit)}`);
    parsed.limit = Number(limit);
  }
  const before = query.get('before');
  if (before !== null) {
    if (!/^\d{1,15}$/.test(before)) throw new DaemonError('SLUICE_E_BODY_INVALID', `query parameter before must be the "next" of a previous page (a whole number), got ${JSON.stringify(before)}`);
    parsed.before = Number(before);
  }
  return parsed;
}

export interface BatchAnswer {
  status: number;
  /** With 400 (no line accepted), `error` too, as every other refusal has: a stable code and the first line's reason. */
  body: { accepted: number; rejectedCount: number; rejected: RejectedLine[]; error?: { code: string; message: string } };
}

/**
 * What the HTTP API does, without HTTP: create and read rollouts, commands, samples, health results, events. Routes
 * translate requests to these calls and errors to statuses (errors.ts).
 */
export class RolloutService {
  readonly #runtime: RolloutRuntime;
  readonly #pipeline: IngestPipeline;
  readonly #log: EventLog;
  readonly #now: () => number;
  readonly #windowMsMin: number | undefined;

  /** Checks of a new spec that only the daemon can make (the envoy adapter needs its xDS server); throw to refuse. */
  readonly #checkSpec: ((spec: RolloutSpec) => void) | undefined;

  constructor(parts: { runtime: RolloutRuntime; pipeline: IngestPipeline; log: EventLog; now: () => number; windowMsMin?: number; checkSpec?: (spec: RolloutSpec) => void }) {
    this.#checkSpec = parts.checkSpec;
    this.#runtime = parts.runtime;
    this.#pipeline = parts.pipeline;
    this.#log = parts.log;
    this.#now = parts.now;
    this.#windowMsMin = parts.windowMsMin;
  }

  #writesRefused: () => Error | undefined = () => undefined;

  /**
   * Every write (create, command, samples, windows, health, metric) first asks `check`: a daemon started --read-only,
   * or whose log failed verification, answers with the error to refuse it with (SLUICE_E_LOG_READ_ONLY, 503).
   */
  refuseWritesWhen(check: () => Error | undefined): void {
    this.#writesRefused = check;
  }

  #assertWritable(): void {
    const refusal = this.#writesRefused();
    if (refusal) throw refusal;
  }

  /** Rollouts set aside at start because their log could not be loaded (GET /v1/rollouts lists them apart). */
  quarantined(): { rolloutId: string; code: string; reason: string }[] {
    return this.#runtime.quarantined();
  }

  create(specText: string): { created: boolean; rollout: Record<string, unknown>; plan: PlanSummary | null } {
    this.#assertWritable();
    const spec = parseSpecText(specText, 'request body', this.#windowMsMin === undefined ? {} : { windowMsMin: this.#windowMsMin });
    // What core only carries through — the Prometheus source, the adapter's and the access log's options — is checked
    // now (422), not at the first apply or poll, and all at once: every problem in one answer, not one per attempt.
    checkAll([() => prometheusSourceOf(spec), () => validateAdapterOptions(spec.adapter, spec.id, spec), () => validateAccessLogSource(spec.sources.accessLog), () => this.#checkSpec?.(spec)]);
    // The pre-flight plan (docs/plan.md), analytic part only: bounded arithmetic, no simulation on the request thread.
    const traffic = plannedTrafficFromSpec(spec);
    const plan = traffic === null ? null : planSummary(planRollout(spec, traffic, { seeds: 0 }));
    const { entry, created } = this.#runtime.create(spec, this.#now());
    if (created && plan !== null) this.#runtime.ingest(spec.id, { type: 'rollout.planned', at: this.#now(), data: plan });
    return { created, rollout: rolloutJson(entry), plan };
  }

  /**
   * Rollouts for GET /v1/rollouts: every active one in full (creation order), then a page of ended ones, most recently
   * ended first, as summaries read from the log's lifecycle index (their spec and how they ended — GET one for its whole
   * state). `next` continues the ended list (`?state=ended&before=<next>`), null after the last page. Bounded: an ended
   * rollout is never folded to be listed, and a page holds at most LIST_ENDED_LIMIT_MAX.
   */
  list(query: RolloutListQuery = {}): { rollouts: Record<string, unknown>[]; next: string | null } {
    const state = query.state ?? 'all';
    const rollouts: Record<string, unknown>[] = [];
    if (state !== 'ended') {
      for (const entry of this.#runtime.entries()) if (!entry.session.view.terminal) rollouts.push(rolloutJson(entry));
    }
    if (state === 'active') return { rollouts, next: null };
    const limit = query.limit ?? LIST_ENDED_LIMIT_DEFAULT;
    const ended = this.#log.endedRollouts(query.before === undefined ? { limit } : { limit, beforeSeq: query.before });
    for (const end of ended) {
      const created = this.#log.eventAt(end.rolloutId, 0);
      if (created?.type !== 'rollout.created') continue; // not a rollout's first event: skipped rather than guessed
      rollouts.push(endedRolloutJson(created.data.spec, end, this.#log.nextPosition(end.rolloutId)));
    }
    return { rollouts, next: ended.length === limit && limit > 0 ? String(ended.at(-1)!.seq) : null };
  }

  /** That the rollout is in the log (else SLUICE_E_ROLLOUT_NOT_FOUND or _QUARANTINED), without reading its events. */
  assertExists(rolloutId: string): void {
    if (this.#runtime.isQuarantined(rolloutId) || !this.#runtime.exists(rolloutId)) this.#runtime.require(rolloutId);
  }

  get(rolloutId: string): Record<string, unknown> {
    return rolloutJson(this.#runtime.require(rolloutId));
  }

  /** Issues a command; a rejected command answers 409 with the machine's reason (the rejection is in the log too). */
  command(rolloutId: string, commandPath: string, body: { actor?: unknown; reason?: unknown }): { status: number; body: Record<string, unknown> } {
    this.#assertWritable();
    // Own properties only: `constructor` or `__proto__` in the URL found Object.prototype's and reached the log's
    // validation as a command (a 500, found by the fuzzer).
    const command = Object.hasOwn(COMMANDS_BY_PATH, commandPath) ? COMMANDS_BY_PATH[commandPath] : undefined;
    if (!command) {
      throw new DaemonError('SLUICE_E_ROUTE_NOT_FOUND', `unknown command "${commandPath}"; use one of: ${Object.keys(COMMANDS_BY_PATH).join(', ')}`);
    }
    checkCommandBody(body);
    const actor = typeof body.actor === 'string' ? body.actor : 'api';
    const reason = typeof body.reason === 'string' ? body.reason : undefined;
    const events = this.#runtime.command(rolloutId, command, this.#now(), actor, reason);
    const rejected = events.find((e) => e.type === 'command.rejected');
    const rollout = rolloutJson(this.#runtime.require(rolloutId));
    if (rejected) {
      return { status: 409, body: { error: { code: 'SLUICE_E_COMMAND_REJECTED', message: `${command} rejected: ${rejected.data.reason}` }, events, rollout } };
    }
    return { status: 200, body: { events, rollout } };
  }

  async samples(rolloutId: string, text: string): Promise<BatchAnswer> {
    this.#assertWritable();
    const entry = this.#acceptingEntry(rolloutId);
    checkLines(text);
    const parsed = parseSampleLines(text, this.#now());
    const result = parsed.samples.length > 0 ? await this.#pipeline.submit({ kind: 'samples', rolloutId, windowMs: entry.spec.window, samples: parsed.samples }) : { accepted: 0, rejected: [] };
    return batchAnswer(result, parsed.rejected);
  }

  async windows(rolloutId: string, text: string): Promise<BatchAnswer> {
    this.#assertWritable();
    const entry = this.#acceptingEntry(rolloutId);
    checkLines(text);
    const parsed = parseWindowLines(text, entry.spec.window, this.#now());
    const result = parsed.windows.length > 0 ? await this.#pipeline.submit({ kind: 'windows', rolloutId, windowMs: entry.spec.window, windows: parsed.windows }) : { accepted: 0, rejected: [] };
    return batchAnswer(result, parsed.rejected);
  }

  health(rolloutId: string, body: Record<string, unknown>): AnyStoredEvent[] {
    this.#assertWritable();
    this.#acceptingEntry(rolloutId);
    if (typeof body.ok !== 'boolean') throw new DaemonError('SLUICE_E_BODY_INVALID', 'health result needs "ok" (boolean); optional "target" and "detail" (strings)');
    const data: { ok: boolean; target?: string; detail?: string } = { ok: body.ok };
    if (typeof body.target === 'string') data.target = body.target.slice(0, 512);
    if (typeof body.detail === 'string') data.detail = body.detail.slice(0, 1_024);
    return this.#runtime.ingest(rolloutId, { type: 'health.checked', at: this.#now(), data });
  }

  metric(rolloutId: string, body: Record<string, unknown>): AnyStoredEvent[] {
    this.#assertWritable();
    this.#acceptingEntry(rolloutId);
    const { name, variant, value } = body;
    if (typeof name !== 'string' || name.length === 0 || name.length > 128 || (variant !== 'canary' && variant !== 'baseline') || typeof value !== 'number' || !Number.isFinite(value)) {
      throw new DaemonError('SLUICE_E_BODY_INVALID', 'metric observation needs "name" (string), "variant" ("canary" or "baseline") and "value" (finite number)');
    }
    return this.#runtime.ingest(rolloutId, { type: 'metric.observed', at: this.#now(), data: { name, variant, value } });
  }

  /** A page of a rollout's events from `from` (JSON reads); SSE streams use the log and the bus directly. */
  events(rolloutId: string, from: number, limit: number): { events: AnyStoredEvent[]; next: number } {
    this.assertExists(rolloutId);
    const events: AnyStoredEvent[] = [];
    for (const event of this.#log.read(rolloutId, from)) {
      if (events.length >= Math.min(limit, EVENTS_PAGE_MAX)) break;
      events.push(event);
    }
    return { events, next: events.length > 0 ? events[events.length - 1]!.position + 1 : from };
  }

  #acceptingEntry(rolloutId: string): RolloutEntry {
    return this.#runtime.requireActive(rolloutId);
  }
}

function checkLines(text: string): void {
  const lines = countLines(text);
  if (lines > BATCH_LINES_MAX) {
    throw new DaemonError('SLUICE_E_BODY_TOO_LARGE', `batch has ${lines} lines; at most ${BATCH_LINES_MAX} per request — split it`);
  }
}

/**
 * The partial-acceptance rule: 200 when every line was accepted; 207 when some lines were rejected and the others
 * accepted (and durable); 400 when no line was accepted. Rejected lines are listed (line number and reason, first
 * REJECTED_LINES_REPORTED_MAX) and counted.
 */
function batchAnswer(result: IngestResult, parseRejected: RejectedLine[]): BatchAnswer {
  const rejected = [...parseRejected, ...result.rejected].sort((a, b) => a.line - b.line);
  const status = rejected.length === 0 ? 200 : result.accepted > 0 ? 207 : 400;
  const body: BatchAnswer['body'] = { accepted: result.accepted, rejectedCount: rejected.length, rejected: rejected.slice(0, REJECTED_LINES_REPORTED_MAX) };
  if (status === 400) {
    const first = rejected[0];
    const message = first ? `no line of the batch was accepted; line ${first.line}: ${first.reason}` : 'the batch holds no line';
    body.error = { code: 'SLUICE_E_SAMPLE_INVALID', message };
  }
  return { status, body };
}

/** Characters a command's reason and actor may have. */
export const COMMAND_TEXT_CHARS_MAX: Readonly<Record<'reason' | 'actor', number>> = { reason: 1_024, actor: 128 };

/**
 * A command's body is `{"reason"?: string, "actor"?: string}`. Anything else is refused before the command is appended:
 * a reason sent as a number or under a misspelt key would otherwise be dropped from the audit trail without a word.
 */
function checkCommandBody(body: unknown): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new DaemonError('SLUICE_E_BODY_INVALID', 'a command body must be a JSON object: {"reason": "…", "actor": "…"} (both optional)');
  }
  for (const [key, value] of Object.entries(body)) {
    if (key !== 'reason' && key !== 'actor') throw new DaemonError('SLUICE_E_BODY_INVALID', `unknown field ${shownValue(key)} in the command body; it takes only "reason" and "actor" (strings)`);
    if (typeof value !== 'string') throw new DaemonError('SLUICE_E_BODY_INVALID', `${key} must be a string (got ${shownValue(value)})`);
    // Refused, not cut: a reason is part of the audit trail, and what was accepted is kept whole (a 900 kB reason was
    // stored in the log before the API cut it to 1,024 characters without a word).
    const charsMax = COMMAND_TEXT_CHARS_MAX[key];
    if (value.length > charsMax) throw new DaemonError('SLUICE_E_BODY_INVALID', `${key} is ${value.length} characters; at most ${charsMax} are accepted — shorten it`);
    if (key === 'actor' && UNPRINTABLE.test(value)) throw new DaemonError('SLUICE_E_BODY_INVALID', 'actor must not contain control characters');
  }
}

/**
 * Runs every check and throws one SpecValidationError holding the issues of all that failed with one — code
 * SLUICE_E_SPEC_INVALID when any spec rule failed, else the first failure's (SLUICE_E_ADAPTER_OPTIONS). Any other
 * error (a missing Prometheus token, an adapter type not built yet) is thrown as it is when no issue was found.
 */
function checkAll(checks: readonly (() => unknown)[]): void {
  const failures: SpecValidationError[] = [];
  let other: unknown;
  for (const check of checks) {
    try {
      check();
    } catch (error) {
      if (error instanceof SpecValidationError) failures.push(error);
      else other ??= error;
    }
  }
  if (failures.length === 1 && other === undefined) throw failures[0];
  if (failures.length > 0) {
    const issues = failures.flatMap((f) => f.issues);
    if (other !== undefined) issues.push({ path: '', message: (other as Error).message });
    const code = failures.some((f) => f.code === 'SLUICE_E_SPEC_INVALID') ? 'SLUICE_E_SPEC_INVALID' : failures[0]!.code;
    throw new SpecValidationError(issues, 'request body', code);
  }
  if (other !== undefined) throw other;
}
