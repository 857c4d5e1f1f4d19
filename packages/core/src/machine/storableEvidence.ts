import type { Evidence } from '../events/eventTypes.js';

/** Nesting deeper than this is left as it is (the log refuses it with a clear error); evidence is a few levels deep. */
const EVIDENCE_DEPTH_MAX = 16;

/**
 * The evidence of a gate as the log can store it: JSON has no NaN or Infinity, and the log refuses an event holding
 * one — which would lose the input that caused it. Such numbers (a judge bug, e.g. 0/0 on an empty window) become
 * null and their paths are listed in `nonFiniteFields`, so the decision is stored and the problem stays visible.
 * Deterministic, so replay reproduces it. Returns the same object when there is nothing to replace.
 */
export function storableEvidence(evidence: Evidence): Evidence {
  // Evidence is on the hot path of every judged window: check without allocating first.
  if (isFiniteDeep(evidence, 0)) return evidence;
  const paths: string[] = [];
  const cleaned = clean(evidence, '', paths, 0) as Evidence;
  return paths.length === 0 ? evidence : { ...cleaned, nonFiniteFields: paths };
}

function clean(value: unknown, path: string, paths: string[], depth: number): unknown {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    paths.push(path);
    return null;
  }
  if (value === null || typeof value !== 'object' || depth >= EVIDENCE_DEPTH_MAX) return value;
  const before = paths.length;
  const next = Array.isArray(value)
    ? value.map((item, i) => clean(item, `${path}[${i}]`, paths, depth + 1))
    : Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clean(item, path ? `${path}.${key}` : key, paths, depth + 1)]));
  return paths.length === before ? value : next;
}

function isFiniteDeep(value: unknown, depth: number): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value !== 'object' || depth >= EVIDENCE_DEPTH_MAX) return true;
  if (Array.isArray(value)) return value.every((item) => isFiniteDeep(item, depth + 1));
  for (const key in value) {
    if (!isFiniteDeep((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}
