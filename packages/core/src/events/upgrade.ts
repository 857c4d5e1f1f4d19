import { EVENT_VERSIONS, type EventType } from './eventTypes.js';

/**
 * Old logs stay readable: when a type's data shape changes, its version in EVENT_VERSIONS is bumped and an upgrader
 * from the previous version is added here. Readers (EventLog.read) upgrade every stored event to the current shape
 * step by step (v1 → v2 → v3), so the machine and the judge only ever see current data. Stored rows are never
 * rewritten: the hash chain covers what was written.
 */
export type EventUpgrader = (data: Record<string, unknown>) => Record<string, unknown>;

/** Upgraders by type, then by the version they upgrade *from*. */
export type EventUpgraders = Partial<Record<EventType, Readonly<Record<number, EventUpgrader>>>>;

/** Keeps data as it is: the version changed what the data may hold, not what an old event holds. */
const unchanged: EventUpgrader = (data) => data;

export const EVENT_UPGRADERS: EventUpgraders = {
  // Version 1 windows hold compressed histograms, which the codec still reads (histogram/codec.ts).
  'samples.window': { 1: unchanged },
  // Version 1 logs hold every verdict the gates computed; replay must compare them all (machine/verdictLog.ts).
  'rollout.created': { 1: (data) => ({ ...data, verdicts: 'every' }) },
};

/** Why an event could not be upgraded; the reader wraps it with the rollout and position. */
export class EventUpgradeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventUpgradeError';
  }
}

/**
 * Upgrades `data` written as `version` of `type` to the current version. Returns `data` itself when it is current.
 * Throws EventUpgradeError when the version is newer than this build knows or a step has no upgrader.
 */
export function upgradeEventData(
  type: EventType,
  version: number,
  data: Record<string, unknown>,
  upgraders: EventUpgraders = EVENT_UPGRADERS,
): Record<string, unknown> {
  const current = EVENT_VERSIONS[type];
  if (version === current) return data;
  if (version > current) {
    throw new EventUpgradeError(`version ${version} of "${type}" is newer than this Sluice knows (${current}); upgrade Sluice`);
  }
  let upgraded = data;
  for (let from = version; from < current; from++) {
    const step = upgraders[type]?.[from];
    if (!step) throw new EventUpgradeError(`no upgrader for "${type}" from version ${from} to ${from + 1}`);
    upgraded = step(upgraded);
  }
  return upgraded;
}
