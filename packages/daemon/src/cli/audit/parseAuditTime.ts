import { DaemonError } from '../../errors.js';

const DAY_MS = 86_400_000;
const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
const EPOCH_MS = /^\d{10,15}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses `sluice audit --at TIME` into ms since epoch. Accepted: an ISO 8601 time (`2026-01-15T14:02:00Z`; without an
 * offset it is UTC, never the machine's zone), `HH:MM[:SS[.mmm]]` in UTC on a day of the rollout (its first day on
 * which that time falls between its first and last event, else its first day), or ms since epoch (10–15 digits).
 * @throws DaemonError SLUICE_E_ARGUMENT_INVALID naming the accepted forms.
 */
export function parseAuditTime(text: string, rollout: { firstAt: number; lastAt: number }): number {
  const value = text.trim();
  if (EPOCH_MS.test(value)) return Number(value);
  const clock = CLOCK.exec(value);
  if (clock) {
    const [hours, minutes, seconds, millis] = [clock[1], clock[2], clock[3] ?? '0', (clock[4] ?? '0').padEnd(3, '0')].map(Number) as [number, number, number, number];
    if (hours > 23 || minutes > 59 || seconds > 59) throw invalid(text, 'the time of day is out of range');
    const offset = ((hours * 60 + minutes) * 60 + seconds) * 1_000 + millis;
    const firstDay = Math.floor(rollout.firstAt / DAY_MS) * DAY_MS;
    for (let day = firstDay; day <= rollout.lastAt; day += DAY_MS) {
      const at = day + offset;
      if (at >= rollout.firstAt && at <= rollout.lastAt) return at;
    }
    return firstDay + offset;
  }
  if (ISO_DATE.test(value)) {
    const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(value);
    const normalised = value.replace(' ', 'T');
    const at = Date.parse(hasOffset || !normalised.includes('T') ? normalised : `${normalised}Z`);
    if (Number.isFinite(at)) return at;
  }
  throw invalid(text, 'not a time');
}

function invalid(text: string, problem: string): DaemonError {
  return new DaemonError(
    'SLUICE_E_ARGUMENT_INVALID',
    `--at ${JSON.stringify(text)}: ${problem}; give an ISO time (2026-01-15T14:02:00Z, UTC when no offset), ` +
      'HH:MM[:SS] in UTC on the rollout\'s day, or ms since epoch',
  );
}
