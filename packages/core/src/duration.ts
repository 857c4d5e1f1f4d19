import { SluiceError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/;

/**
 * Parses a duration: a non-negative number of milliseconds, or a string like "90s", "2h", "1h30m", "250ms".
 * Returns milliseconds (an integer). Throws SLUICE_E_DURATION_INVALID naming the value and the accepted forms.
 */
export function parseDurationMs(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
    throw invalid(value);
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  let rest = text;
  let total = 0;
  if (rest.length === 0) throw invalid(value);
  while (rest.length > 0) {
    const match = DURATION_RE.exec(rest);
    if (!match) throw invalid(value);
    total += Number(match[1]) * (UNIT_MS[match[2]!] ?? 0);
    rest = rest.slice(match[0].length);
  }
  return Math.round(total);
}

/** Formats milliseconds as the shortest readable duration, e.g. 5_400_000 → "1h30m", 1500 → "1.5s". */
export function formatDurationMs(durationMs: number): string {
  if (durationMs < 1_000) return `${durationMs}ms`;
  if (durationMs < 60_000) return `${Number((durationMs / 1_000).toFixed(2))}s`;
  const parts: string[] = [];
  let rest = Math.round(durationMs / 1_000);
  for (const [unit, seconds] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / seconds);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * seconds;
  }
  return parts.join('');
}

function invalid(value: unknown): SluiceError {
  return new SluiceError(
    'SLUICE_E_DURATION_INVALID',
    `invalid duration ${JSON.stringify(value)}: use milliseconds (e.g. 90000) or a string like "90s", "15m", "2h", "1h30m"`,
  );
}
