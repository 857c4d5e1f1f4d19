import { describe, expect, it } from 'vitest';
import { SpecValidationError } from '../errors.js';
import { parseSpecText } from './parseSpec.js';

const minimal = 'id: checkout-v2\nservice: checkout\nbaseline: v1\ncandidate: v2\n';

function issuesOf(text: string) {
  try {
    parseSpecText(text, 'spec.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(SpecValidationError);
    return (error as SpecValidationError).issues;
  }
  throw new Error('expected the spec to be rejected');
}

describe('parseSpecText', () => {
  it('fills the classic default template when no stages are given', () => {
    const spec = parseSpecText(minimal);
    expect(spec.stages.map((s) => [s.name, s.weightPercent, s.durationMin])).toEqual([
      ['canary', 1, 7_200_000],
      ['ramp', 10, 14_400_000],
      ['rollout', 100, 600_000],
    ]);
    expect(spec.stages[2]?.onFail).toBe('hold');
    expect(spec.rollback).toEqual({ mode: 'immediate' });
    expect(spec.window).toBe(5_000);
  });

  it('accepts JSON as well as YAML, and durations as strings or milliseconds', () => {
    const spec = parseSpecText(
      JSON.stringify({ id: 'a', service: 's', baseline: '1', candidate: '2', stages: [{ name: 'only', weightPercent: 100, durationMin: '1h30m', durationMax: 6_000_000 }] }),
    );
    expect(spec.stages[0]?.durationMin).toBe(5_400_000);
    expect(spec.stages[0]?.durationMax).toBe(6_000_000);
  });

  it('reports every problem at once, each with its path and line', () => {
    const issues = issuesOf(
      `${minimal}window: 5x\nstages:\n  - name: a\n    weightPercent: 50\n    gates:\n      - kind: bogus\n  - name: b\n    weightPercent: 10.123\nadapter:\n  type: traefik\n`,
    );
    expect(issues.map((i) => i.path)).toEqual(['window', 'stages[0].gates[0].kind', 'stages[1].weightPercent', 'adapter.type']);
    expect(issues.find((i) => i.path === 'window')?.line).toBe(5);
    expect(issues.find((i) => i.path === 'adapter.type')?.message).toContain('traefik');
  });

  it('checks the rules across fields even when the schema already failed, so one attempt shows every problem', () => {
    // Before, a schema error (the unknown gate kind) hid the duplicate stage name and the falling weight.
    const issues = issuesOf(
      `${minimal}stages:\n  - name: a\n    weightPercent: 50\n    gates:\n      - kind: bogus\n  - name: a\n    weightPercent: 5\n`,
    );
    expect(issues.map((i) => i.path)).toEqual(['stages[0].gates[0].kind', 'stages[1].weightPercent', 'stages[1].name']);
    expect(issues.find((i) => i.path === 'stages[1].name')?.line).toBe(10);
  });

  it('rejects stage weights that go down', () => {
    const issues = issuesOf(`${minimal}stages:\n  - name: a\n    weightPercent: 50\n  - name: b\n    weightPercent: 5\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('stages[1].weightPercent');
    expect(issues[0]?.message).toMatch(/below the previous stage's 50/);
  });

  it('rejects a YAML syntax error with its line', () => {
    const issues = issuesOf('id: [unclosed\nservice: s\n');
    expect(issues[0]?.line).toBeGreaterThan(0);
  });
});
