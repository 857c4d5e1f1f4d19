/** Human output helpers shared by the commands. */

/** A fixed-width bar of the canary share, e.g. `[####----------------]  20.00%`. */
export function weightBar(weightPercent: number | null | undefined, width = 20): string {
  // No weight verified yet (the adapter has not answered): an empty bar reading "none", not a row of question marks.
  if (weightPercent === null || weightPercent === undefined) return `[${' '.repeat(width)}] ${'none'.padStart(7)}`;
  const filled = Math.round((Math.min(100, Math.max(0, weightPercent)) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${weightPercent.toFixed(2).padStart(6)}%`;
}

/** Seconds or minutes, compactly: 4s, 3m05s, 2h01m. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}
