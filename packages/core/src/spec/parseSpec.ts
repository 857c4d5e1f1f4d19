import { isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { z } from 'zod';
import { SluiceError, SpecValidationError, type ValidationIssue } from '../errors.js';
import { formatDurationMs, parseDurationMs } from '../duration.js';
import { DEFAULT_STAGES } from './defaultStages.js';
import { WINDOW_MS_FLOOR, WINDOW_MS_MIN } from './durationSchema.js';
import { parseBoundedYaml, SPEC_LIMITS } from './boundedDocument.js';
import { boundedIssues, formatPath, issueValue, listed, shownValue, valueAtPath } from './validationIssues.js';
import { rolloutSpecSchema, stageSchema, type RolloutSpec, type StageSpec } from './specSchema.js';
export { gateNameOf } from './gateName.js';

/** What may vary between callers of the spec validation. */
export interface SpecValidationOptions {
  /**
   * The shortest `window` accepted, ms (default WINDOW_MS_MIN, 1 s). The daemon's `windowMsMin` setting lowers it, to
   * no less than WINDOW_MS_FLOOR, for tests and demos that need rollouts to move in seconds.
   */
  windowMsMin?: number;
}

/**
 * Parses a spec from YAML or JSON text (JSON is YAML) and validates it. `source` names the file in messages. The
 * text's size, depth and aliases are checked before it is composed (SPEC_LIMITS); a text over them is refused with
 * SLUICE_E_SPEC_PARSE like a syntax error.
 */
export function parseSpecText(text: string, source?: string, options: SpecValidationOptions = {}): RolloutSpec {
  const { value, doc, lineCounter } = parseBoundedYaml(text, SPEC_LIMITS, source, 'SLUICE_E_SPEC_PARSE');
  return validateSpec(value, source, (path) => lineOf(doc, lineCounter, path), options);
}

/**
 * Validates a spec object, fills defaults (the default stage template when `stages` is absent), and checks the rules
 * a schema cannot express alone. Throws SpecValidationError listing every problem with its path.
 */
export function validateSpec(
  input: unknown,
  source?: string,
  lineOfPath?: (path: PropertyKey[]) => number | undefined,
  options: SpecValidationOptions = {},
): RolloutSpec {
  const parsed = rolloutSpecSchema.safeParse(input);
  const issues: ValidationIssue[] = [];
  const windowIssue = windowMinIssue(input, options.windowMsMin ?? WINDOW_MS_MIN, lineOfPath);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push(toIssue(issue.path, describeIssue(issue, input), valueAtPath(input, issue.path), lineOfPath));
    }
    // The rules across fields are checked too, on whatever parts are well-formed, so one attempt shows every problem.
    const rawStages = valueAtPath(input, ['stages']);
    const looseStages = Array.isArray(rawStages) ? rawStages.map((stage) => (isObject(stage) ? stage : {})) : [];
    const reported = new Set(issues.map((i) => i.path));
    for (const issue of crossFieldIssues(looseStages, valueAtPath(input, ['rollback']), lineOfPath)) if (!reported.has(issue.path)) issues.push(issue);
    if (windowIssue && !reported.has('window')) issues.push(windowIssue);
    throw new SpecValidationError(boundedIssues(issues), source);
  }
  const raw = parsed.data;
  if (windowIssue) issues.push(windowIssue);
  const stages: StageSpec[] = (raw.stages ?? DEFAULT_STAGES.map((s) => stageSchema.parse(s))).map(withDurationMax);
  issues.push(...crossFieldIssues(stages, raw.rollback, lineOfPath));
  if (issues.length > 0) throw new SpecValidationError(boundedIssues(issues), source);
  // The spec as the log will store it (JSON): -0 becomes 0 and absent optional fields disappear, so the rollout the
  // daemon runs is exactly the one it recovers after a restart (found by acceptedSpec.property.test.ts: `max: -0`).
  return JSON.parse(JSON.stringify({ ...raw, stages })) as RolloutSpec;
}

/** A stage as far as the rules across fields need it; on a spec that failed the schema, any field may be anything. */
interface LooseStage {
  name?: unknown;
  weightPercent?: unknown;
  durationMin?: unknown;
  durationMax?: unknown;
  gates?: unknown;
}

/** The rules a schema cannot express alone: weights only rise, durationMax ≥ durationMin, unique names, descending steps. */
function crossFieldIssues(stages: readonly LooseStage[], rollback: unknown, lineOfPath?: (path: PropertyKey[]) => number | undefined): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  stages.forEach((stage, i) => {
    const previous = stages[i - 1];
    if (previous && typeof stage.weightPercent === 'number' && typeof previous.weightPercent === 'number' && stage.weightPercent < previous.weightPercent) {
      issues.push(
        toIssue(['stages', i, 'weightPercent'], `is ${stage.weightPercent}, below the previous stage's ${previous.weightPercent}; stage weights may only stay or rise — to reduce traffic, roll back`, stage.weightPercent, lineOfPath),
      );
    }
    if (typeof stage.durationMax === 'number' && typeof stage.durationMin === 'number' && stage.durationMax < stage.durationMin) {
      issues.push(toIssue(['stages', i, 'durationMax'], `is ${stage.durationMax} ms, shorter than durationMin (${stage.durationMin} ms); make it at least durationMin`, stage.durationMax, lineOfPath));
    }
    const names = new Set<string>();
    (Array.isArray(stage.gates) ? stage.gates : []).forEach((gate: unknown, g) => {
      if (!isObject(gate)) return;
      const name = typeof gate.name === 'string' ? gate.name : gate.kind;
      if (typeof name !== 'string') return;
      if (names.has(name)) {
        issues.push(toIssue(['stages', i, 'gates', g, 'name'], `gate name "${name}" is used twice in stage "${String(stage.name)}"; give each gate of the same kind its own \`name\``, name, lineOfPath));
      }
      names.add(name);
    });
  });
  const stageNames = new Set<string>();
  stages.forEach((stage, i) => {
    if (typeof stage.name !== 'string') return;
    if (stageNames.has(stage.name)) issues.push(toIssue(['stages', i, 'name'], `stage name "${stage.name}" is used twice; stage names must be unique`, stage.name, lineOfPath));
    stageNames.add(stage.name);
  });
  if (isObject(rollback) && rollback.mode === 'gradual' && Array.isArray(rollback.stepsPercent)) {
    const steps: unknown[] = rollback.stepsPercent;
    steps.forEach((w, i) => {
      const before = steps[i - 1];
      if (i > 0 && typeof w === 'number' && typeof before === 'number' && w >= before) issues.push(toIssue(['rollback', 'stepsPercent', i], `is ${w}; gradual rollback steps must strictly descend`, w, lineOfPath));
    });
  }
  return issues;
}

/**
 * The window's lower bound depends on the caller (the daemon may lower it for tests), so it is checked here rather
 * than in the schema, which holds only the absolute floor and the maximum.
 */
function windowMinIssue(input: unknown, windowMsMin: number, lineOfPath?: (path: PropertyKey[]) => number | undefined): ValidationIssue | undefined {
  const raw = valueAtPath(input, ['window']);
  if (raw === undefined) return undefined;
  let windowMs: number;
  try {
    windowMs = typeof raw === 'number' || typeof raw === 'string' ? parseDurationMs(raw) : NaN;
  } catch {
    return undefined; // the schema reports a malformed duration
  }
  if (!(windowMs >= WINDOW_MS_FLOOR) || windowMs >= windowMsMin) return undefined;
  return toIssue(['window'], `is ${formatDurationMs(windowMs)}; a window must be at least ${formatDurationMs(windowMsMin)} (each closed window is judged and logged, so short ones cost CPU and log space without adding evidence)`, raw, lineOfPath);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}


function withDurationMax(stage: z.output<typeof stageSchema>): StageSpec {
  const durationMax = stage.durationMax ?? Math.max(2 * stage.durationMin, stage.durationMin + 600_000);
  return { ...stage, durationMax };
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const value = valueAtPath(input, issue.path);
  const last = issue.path.at(-1);
  if (issue.code === 'invalid_union' && (last === 'kind' || last === 'mode' || last === 'action')) {
    const what = last === 'kind' ? 'gate kind' : String(last);
    return `unknown ${what} ${shownValue(value)}; ${issue.message.replace('Invalid discriminator value. Expected', 'expected one of')}`;
  }
  if (issue.code === 'invalid_union' && (issue as { note?: string }).note === 'No matching discriminator') {
    const key = (issue as { discriminator?: string }).discriminator ?? 'kind';
    return `unknown ${key} ${shownValue((value as Record<string, unknown> | undefined)?.[key])}: ${issue.message}`;
  }
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${listed(issue.keys)}; remove them or check their spelling`;
  const shown = value === undefined ? 'missing' : `got ${shownValue(value)}`;
  return `${issue.message} (${shown})`;
}

function toIssue(path: PropertyKey[], message: string, value: unknown, lineOfPath?: (path: PropertyKey[]) => number | undefined): ValidationIssue {
  const issue: ValidationIssue = { path: formatPath(path), message, value: issueValue(value) };
  const line = lineOfPath?.(path);
  if (line !== undefined) issue.line = line;
  return issue;
}

function lineOf(doc: Document, lineCounter: LineCounter, path: PropertyKey[]): number | undefined {
  // Walk down as far as the path exists, so a missing field points at its parent.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as unknown[], true);
    if (node && (isScalar(node) || isMap(node) || isSeq(node)) && node.range) {
      return lineCounter.linePos(node.range[0]).line;
    }
  }
  return undefined;
}

/** Raised for a spec file that cannot be read at all. */
export function specReadError(file: string, cause: unknown): SluiceError {
  return new SluiceError('SLUICE_E_SPEC_PARSE', `cannot read spec file ${file}: ${(cause as Error).message}`, { cause });
}
