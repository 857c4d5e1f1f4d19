/**
 * Numbers in the report's data are rounded to 4 significant digits: a chart cannot show more, and a 6-hour rollout's
 * ~4,300 windows × a dozen series must stay well under the 1 MB the report allows (docs/report.md, "Size").
 */
export function round4(value: number): number;
export function round4(value: number | null): number | null;
export function round4(value: number | null): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  if (value === 0) return 0;
  return Number(value.toPrecision(4));
}
