import { isDecisionType, type AnyStoredEvent } from '@sluice/core';
import type { Logger } from 'pino';
import type { RolloutEntry } from './RolloutRuntime.js';

/** Decisions logged at warn: they mean a person may have to look. */
const WARN_DECISIONS = new Set(['rollback.started', 'stage.held', 'aborted', 'command.rejected']);

/**
 * One structured log line per decision, with the rollout id, position and the decision's data (for a gate verdict,
 * its evidence): `warn` for the decisions a person may have to act on, `info` for the others.
 */
export function logDecisions(logger: Logger, entry: RolloutEntry, events: readonly AnyStoredEvent[]): void {
  for (const event of events) {
    if (!isDecisionType(event.type)) continue;
    const fields = { rolloutId: entry.id, position: event.position, decision: event.type, at: event.at, data: event.data };
    if (WARN_DECISIONS.has(event.type)) logger.warn(fields, `decision ${event.type}`);
    else logger.info(fields, `decision ${event.type}`);
  }
}
