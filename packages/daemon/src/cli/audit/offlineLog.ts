import { EventLog, SluiceError, isSluiceError, type RolloutSummary } from '@sluice/core/replay';
import { CliExit, EXIT } from '../exitCodes.js';
import type { CliIo } from '../main.js';

/**
 * Opening a log file for the offline commands (`audit`, `events --db`, `status --db`): read-only, so it is safe on the
 * live daemon's file. EventLog.open says what is wrong with the file and what to do, by code: a missing file or a
 * database that is not a Sluice log (SLUICE_E_LOG_SCHEMA), an empty, truncated or non-SQLite file (SLUICE_E_LOG_CORRUPT).
 */
export function openLogReadonly(file: string): EventLog {
  return EventLog.open(file, { readonly: true });
}

/** Rollout ids named in a "not found" message; the rest are counted. */
export const IDS_LISTED_MAX = 20;

/**
 * The summary of rollout `id` in `log`.
 * @throws SluiceError SLUICE_E_ROLLOUT_NOT_FOUND listing the ids the log holds.
 */
export function requireRollout(log: EventLog, id: string): RolloutSummary {
  const rollouts = log.listRollouts();
  const found = rollouts.find((r) => r.rolloutId === id);
  if (found) return found;
  const ids = rollouts.slice(0, IDS_LISTED_MAX).map((r) => r.rolloutId);
  const more = rollouts.length > IDS_LISTED_MAX ? ` and ${rollouts.length - IDS_LISTED_MAX} more` : '';
  const holds = rollouts.length === 0 ? 'it holds no rollout' : `it holds: ${ids.join(', ')}${more}`;
  throw new SluiceError('SLUICE_E_ROLLOUT_NOT_FOUND', `no rollout "${id}" in ${log.file}; ${holds}`);
}

/**
 * Reports an expected failure of an offline command and ends it with exit 2: as `{ ok: false, file, error }` with
 * --json, else one line on stderr. Anything that is not a coded error is a bug and is rethrown.
 */
export function offlineUsageError(command: string, file: string, json: boolean | undefined, io: CliIo, error: unknown): never {
  if (!isSluiceError(error)) throw error;
  if (json) io.out(`${JSON.stringify({ ok: false, file, error: { code: error.code, message: error.message } })}\n`);
  else io.err(`sluice ${command}: ${error.message}\n`);
  throw new CliExit(EXIT.usage);
}
