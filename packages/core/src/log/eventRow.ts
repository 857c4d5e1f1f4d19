import { EventInvalidError } from '../errors.js';
import { EVENT_VERSIONS, isDecisionType, isInputType, type AnyStoredEvent, type EventType, type NewEvent, type RecordedEvent } from '../events/eventTypes.js';
import { upgradeEventData, type EventUpgraders } from '../events/upgrade.js';
import { canonicalJson, NotJsonError } from './canonicalJson.js';

/**
 * Checks on the way in and on the way out of the log (CONVENTIONS: "check an event's validity before it is written and
 * again when it is read back"). Both name the rollout, the type and the field.
 */

/** A row of the `events` table as SQLite returns it. */
export interface EventRow {
  seq: number;
  rollout_id: string;
  position: number;
  type: string;
  version: number;
  at: number;
  data: string;
  prev_hash: string;
  hash: string;
  /** Log-wide chain link (logChain.ts); null in a row inserted outside Sluice, absent in a schema-1 log. */
  link?: string | null;
}

export const ROLLOUT_ID_LENGTH_MAX = 128;

export function isEventType(type: string): type is EventType {
  return isInputType(type) || isDecisionType(type);
}

export function checkRolloutId(rolloutId: unknown): asserts rolloutId is string {
  if (typeof rolloutId !== 'string' || rolloutId.length === 0 || rolloutId.length > ROLLOUT_ID_LENGTH_MAX) {
    throw new EventInvalidError(
      { rolloutId: String(rolloutId), field: 'rolloutId' },
      `must be a non-empty string of at most ${ROLLOUT_ID_LENGTH_MAX} characters`,
    );
  }
}

/** Validates a new event and returns the canonical JSON of its data, which is what gets stored and hashed. */
export function prepareNewEvent(rolloutId: string, event: NewEvent): string {
  const where = { rolloutId, type: String(event?.type) };
  if (typeof event !== 'object' || event === null) throw new EventInvalidError({ ...where, field: 'event' }, 'must be an object');
  if (typeof event.type !== 'string' || !isEventType(event.type)) {
    throw new EventInvalidError({ ...where, field: 'type' }, `unknown event type ${JSON.stringify(event.type)}; see INPUT_TYPES and DECISION_TYPES`);
  }
  if (!Number.isSafeInteger(event.at) || event.at < 0) {
    throw new EventInvalidError({ ...where, field: 'at' }, `must be a non-negative integer of ms since epoch, got ${String(event.at)}`);
  }
  if (typeof event.data !== 'object' || event.data === null || Array.isArray(event.data)) {
    throw new EventInvalidError({ ...where, field: 'data' }, 'must be a JSON object');
  }
  const limits = TEXT_CHARS_MAX[event.type];
  if (limits) {
    for (const [field, charsMax] of Object.entries(limits)) {
      const value = (event.data as Record<string, unknown>)[field];
      if (typeof value === 'string' && value.length > charsMax) {
        throw new EventInvalidError({ ...where, field: `data.${field}` }, `is ${value.length} characters; at most ${charsMax} are stored`);
      }
    }
  }
  let json: string;
  try {
    json = canonicalJson(event.data, 'data');
  } catch (error) {
    if (error instanceof NotJsonError) throw new EventInvalidError({ ...where, field: error.path }, error.problem);
    throw error;
  }
  if (json.length > EVENT_DATA_CHARS_MAX) {
    throw new EventInvalidError({ ...where, field: 'data' }, `is ${json.length} characters of JSON; at most ${EVENT_DATA_CHARS_MAX} are stored in one event`);
  }
  return json;
}

/**
 * Bounds on what one new event may hold (issue 11: a rejected command's 900 kB reason was stored whole). Checked when
 * an event is written, never when one is read: a log written before keeps reading. The API refuses longer texts
 * first with a 400; these are the log's own guard. A spec is at most 512 Ki characters once parsed, a window's
 * histograms a few kB, so 1 Mi characters is far above any event Sluice writes.
 */
export const EVENT_DATA_CHARS_MAX = 1024 * 1024;
const TEXT_CHARS_MAX: Partial<Record<string, Record<string, number>>> = {
  'command.issued': { reason: 1_024, actor: 128 },
  'command.rejected': { reason: 4_096 },
  'health.checked': { target: 512, detail: 1_024 },
  'metric.observed': { name: 128 },
  'weight.applyFailed': { error: 4_096 },
};

/** The columns `EventLog.readRecorded` selects, in order, as better-sqlite3 returns them in raw mode. */
export type RecordedRow = [position: number, type: string, version: number, at: number, data: string];

/** Turns a stored row back into an event: known type, supported version, well-formed fields, upgraded data. */
export function decodeEventRow(row: EventRow, upgraders: EventUpgraders | undefined): AnyStoredEvent {
  const data = decodeEventData(row.rollout_id, row.position, row.type, row.version, row.at, row.data, upgraders);
  return {
    seq: row.seq,
    rolloutId: row.rollout_id,
    position: row.position,
    type: row.type,
    version: row.version,
    at: row.at,
    data,
    hash: row.hash,
  } as unknown as AnyStoredEvent;
}

/** `decodeEventRow` for a row of `readRecorded`: the same checks, without sequence number and hash. */
export function decodeRecordedRow(rolloutId: string, row: RecordedRow, upgraders: EventUpgraders | undefined): RecordedEvent {
  const [position, type, version, at, dataJson] = row;
  const data = decodeEventData(rolloutId, position, type, version, at, dataJson, upgraders);
  return { position, type, version, at, data } as unknown as RecordedEvent;
}

function decodeEventData(
  rolloutId: string,
  position: number,
  type: string,
  version: number,
  at: number,
  dataJson: string,
  upgraders: EventUpgraders | undefined,
): Record<string, unknown> {
  if (!isEventType(type)) {
    throw new EventInvalidError({ rolloutId, position, type, field: 'type' }, 'unknown event type in the log; was it written by a newer Sluice?');
  }
  if (!Number.isSafeInteger(version) || version < 0 || version > EVENT_VERSIONS[type]) {
    throw new EventInvalidError(
      { rolloutId, position, type, field: 'version' },
      `version ${version} is not supported (current is ${EVENT_VERSIONS[type]}); upgrade Sluice`,
    );
  }
  if (!Number.isSafeInteger(at) || at < 0) throw new EventInvalidError({ rolloutId, position, type, field: 'at' }, `not a valid time: ${at}`);
  let data: unknown;
  try {
    data = JSON.parse(dataJson);
  } catch (error) {
    throw new EventInvalidError({ rolloutId, position, type, field: 'data' }, `not JSON: ${(error as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new EventInvalidError({ rolloutId, position, type, field: 'data' }, 'not a JSON object');
  }
  try {
    return upgradeEventData(type, version, data as Record<string, unknown>, upgraders);
  } catch (error) {
    throw new EventInvalidError({ rolloutId, position, type, field: 'version' }, (error as Error).message);
  }
}
