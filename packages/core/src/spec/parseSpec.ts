import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { SluiceError, SpecValidationError, type ValidationIssue } from '../errors.js';
import { DEFAULT_STAGES } from './defaultStages.js';
import { formatPath, valueAtPath } from './validationIssues.js';
import { rolloutSpecSchema, stageSchema, type RolloutSpec, type StageSpec } from './specSchema.js';

/** Parses a spec from YAML or JSON text (JSON is YAML) and validates it. `source` names the file in messages. */
export function parseSpecText(text: string, source?: string): RolloutSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({
      path: '',
      message: `YAML syntax: ${e.message.split('\n')[0] ?? e.message}`,
      line: lineCounter.linePos(e.pos[0]).line,
    }));
    throw new SpecValidationError(issues, source, 'SLUICE_E_SPEC_PARSE');
  }
  return validateSpec(doc.toJS(), source, (path) => lineOf(doc, lineCounter, path));
}

/**
 * Validates a spec object, fills defaults (the default stage template when `stages` is absent), and checks the rules
 * a schema cannot express alone. Throws SpecValidationError listing every problem with its path.
 */
export function validateSpec(input: unknown, source?: string, lineOfPath?: (path: PropertyKey[]) => number | undefined): RolloutSpec {
  const parsed = rolloutSpecSchema.safeParse(input);
  const issues: ValidationIssue[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push(toIssue(issue.path, describeIssue(issue, input), valueAtPath(input, issue.path), lineOfPath));
    }
    throw new SpecValidationError(issues, source);
  }
  const raw = parsed.data;
  const stages: StageSpec[] = (raw.stages ?? DEFAULT_STAGES.map((s) => stageSchema.parse(s))).map(withDurationMax);
  stages.forEach((stage, i) => {
    const previous = stages[i - 1];
    if (previous && stage.weightPercent < previous.weightPercent) {
      issues.push(
        toIssue(['stages', i, 'weightPercent'], `is ${stage.weightPercent}, below the previous stage's ${previous.weightPercent}; stage weights may only stay or rise — to reduce traffic, roll back`, stage.weightPercent, lineOfPath),
      );
    }
    if (stage.durationMax < stage.durationMin) {
      issues.push(toIssue(['stages', i, 'durationMax'], `is ${stage.durationMax} ms, shorter than durationMin (${stage.durationMin} ms); make it at least durationMin`, stage.durationMax, lineOfPath));
    }
    const names = new Set<string>();
    stage.gates.forEach((gate, g) => {
      const name = gate.name ?? gate.kind;
      if (names.has(name)) {
        issues.push(toIssue(['stages', i, 'gates', g, 'name'], `gate name "${name}" is used twice in stage "${stage.name}"; give each gate of the same kind its own \`name\``, name, lineOfPath));
      }
      names.add(name);
    });
  });
  const stageNames = new Set<string>();
  stages.forEach((stage, i) => {
    if (stageNames.has(stage.name)) issues.push(toIssue(['stages', i, 'name'], `stage name "${stage.name}" is used twice; stage names must be unique`, stage.name, lineOfPath));
    stageNames.add(stage.name);
  });
  if (raw.rollback.mode === 'gradual') {
    const steps = raw.rollback.stepsPercent;
    steps.forEach((w, i) => {
      if (i > 0 && w >= steps[i - 1]!) issues.push(toIssue(['rollback', 'stepsPercent', i], `is ${w}; gradual rollback steps must strictly descend`, w, lineOfPath));
    });
  }
  if (issues.length > 0) throw new SpecValidationError(issues, source);
  return { ...raw, stages };
}

/** Name of the gate as it appears in events: its `name`, or its kind. */
export function gateNameOf(gate: { kind: string; name?: string | undefined }): string {
  return gate.name ?? gate.kind;
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
    return `unknown ${what} ${JSON.stringify(value)}; ${issue.message.replace('Invalid discriminator value. Expected', 'expected one of')}`;
  }
  if (issue.code === 'invalid_union' && (issue as { note?: string }).note === 'No matching discriminator') {
    const key = (issue as { discriminator?: string }).discriminator ?? 'kind';
    return `unknown ${key} ${JSON.stringify((value as Record<string, unknown> | undefined)?.[key])}: ${issue.message}`;
  }
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove them or check their spelling`;
  const shown = value === undefined ? 'missing' : `got ${JSON.stringify(value)}`;
  return `${issue.message} (${shown})`;
}

function toIssue(path: PropertyKey[], message: string, value: unknown, lineOfPath?: (path: PropertyKey[]) => number | undefined): ValidationIssue {
  const issue: ValidationIssue = { path: formatPath(path), message, value };
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
