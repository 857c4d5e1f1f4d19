import { RolloutSession, type AnyStoredEvent, type EventLog } from '@sluice/core/replay';
import { DaemonError } from '../../errors.js';
import { rolloutJsonOf } from '../../runtime/rolloutJson.js';
import type { CliIo } from '../main.js';
import { rolloutBlock, rolloutLine } from '../renderRollout.js';
import { iso } from './entryText.js';
import { offlineUsageError, openLogReadonly, requireRollout } from './offlineLog.js';

/**
 * The offline modes of `sluice events ID --db FILE` and `sluice status [ID] --db FILE`: the same output as from the
 * daemon, read from the log file (read-only, safe on the live daemon's file) instead of over HTTP.
 */
export interface OfflineFlags {
  db: string;
  url?: string;
  json?: boolean;
}

/** Prints a rollout's events from `from` on, as `sluice events` does from the daemon. */
export function offlineEvents(id: string, from: number, flags: OfflineFlags & { follow?: boolean }, io: CliIo, print: (event: AnyStoredEvent) => void): void {
  withLog('events', flags, io, (log) => {
    if (flags.follow) throw new DaemonError('SLUICE_E_ARGUMENT_INVALID', '--follow streams from the daemon; with --db the log file is read once (drop one of them)');
    requireRollout(log, id);
    for (const event of log.read(id, from)) print(event);
  });
}

/** Prints one rollout (ID) or every rollout, its state rebuilt by folding its stored inputs, as the daemon does on start. */
export function offlineStatus(id: string | undefined, flags: OfflineFlags, io: CliIo): void {
  withLog('status', flags, io, (log) => {
    if (id !== undefined) {
      const { lastAt } = requireRollout(log, id);
      const rollout = rolloutFromLog(log, id);
      io.out(flags.json ? `${JSON.stringify(rollout)}\n` : `${rolloutBlock(rollout, lastAt)}(from ${flags.db}, as of its last event at ${iso(lastAt)})\n`);
      return;
    }
    const rollouts = log.listRollouts().map((r) => rolloutFromLog(log, r.rolloutId));
    if (flags.json) io.out(`${JSON.stringify(rollouts)}\n`);
    else if (rollouts.length === 0) io.out(`${flags.db}: no rollouts in this log\n`);
    else io.out(`${rollouts.map(rolloutLine).join('\n')}\n`);
  });
}

/** The API's rollout JSON, rebuilt from the log. RolloutSession.load only reads, so a read-only log is enough. */
function rolloutFromLog(log: EventLog, id: string): Record<string, unknown> {
  const session = RolloutSession.load(log, id);
  const spec = session.view.spec;
  if (spec === null) throw new DaemonError('SLUICE_E_ARGUMENT_INVALID', `rollout "${id}" in ${log.file} has no rollout.created event; \`sluice verify --db ${log.file}\` checks the log`);
  return rolloutJsonOf(spec, session.view, session.nextPosition);
}

function withLog(command: string, flags: OfflineFlags, io: CliIo, body: (log: EventLog) => void): void {
  let log: EventLog;
  try {
    if (flags.url !== undefined) throw new DaemonError('SLUICE_E_ARGUMENT_INVALID', '--db reads a log file offline and --url asks a daemon: give one of them');
    log = openLogReadonly(flags.db);
  } catch (error) {
    offlineUsageError(command, flags.db, flags.json, io, error);
  }
  try {
    log.snapshot(() => body(log));
  } catch (error) {
    offlineUsageError(command, flags.db, flags.json, io, error);
  } finally {
    log.close();
  }
}
