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

  it('refuses every window outside 1s–1h with the field path (window: 0 bricked the log, window: 1 burned a core)', () => {
    for (const window of ['0', '1', '999ms', '2h', '"90000000000000000000000d"']) {
      const issues = issuesOf(`${minimal}window: ${window}\n`);
      expect(issues.map((i) => i.path)).toEqual(['window']);
      expect(issues[0]?.line).toBe(5);
    }
    expect(parseSpecText(`${minimal}window: 1s\n`).window).toBe(1_000);
    expect(parseSpecText(`${minimal}window: 1h\n`).window).toBe(3_600_000);
    expect(issuesOf(`${minimal}window: 500ms\n`)[0]?.message).toMatch(/at least 1s/);
  });

  it('lowers the window floor to what the caller allows, never below 100 ms', () => {
    expect(parseSpecText(`${minimal}window: 200ms\n`, 'spec', { windowMsMin: 100 }).window).toBe(200);
    expect(() => parseSpecText(`${minimal}window: 50ms\n`, 'spec', { windowMsMin: 100 })).toThrow(/window: must be between 100ms and 1h/);
  });

  it('states a range for every duration and count, refused at its path', () => {
    const issues = issuesOf(
      `${minimal}stages:\n  - name: a\n    weightPercent: 10\n    durationMin: 400d\n    samplesMin: 10000000000\n    gates:\n      - kind: flagger\n        threshold: 1000000\n        interval: 0s\n      - kind: argo\n        failureLimit: 1000000\n      - kind: latency\n        maxMs: 1e12\nsources:\n  health:\n    url: http://127.0.0.1:1/\n    interval: 100d\n    timeout: 0\n`,
    );
    expect(issues.map((i) => i.path)).toEqual([
      'stages[0].durationMin',
      'stages[0].samplesMin',
      'stages[0].gates[0].interval',
      'stages[0].gates[0].threshold',
      'stages[0].gates[1].failureLimit',
      'stages[0].gates[2].maxMs',
      'sources.health.interval',
      'sources.health.timeout',
    ]);
    expect(issues[0]?.message).toMatch(/between 0ms and 30d \(is 400d\)/);
  });

  it('shows Infinity as Infinity, not null, in messages and answers', () => {
    const issues = issuesOf(`${minimal}stages:\n  - name: a\n    weightPercent: .inf\n`);
    expect(issues[0]?.message).toMatch(/got Infinity/);
    expect(issues[0]?.value).toBe('Infinity');
    expect(JSON.stringify(issues)).not.toMatch(/null/);
  });

  it('refuses control characters in names that reach a terminal', () => {
    const issues = issuesOf(`id: a\nservice: "check\\u001b[2Jout"\nbaseline: "v1\\n"\ncandidate: "v\\u202e2"\nstages:\n  - name: "c\\ta"\n    weightPercent: 10\n`);
    expect(issues.map((i) => i.path)).toEqual(['service', 'baseline', 'candidate', 'stages[0].name']);
    expect(issues[0]?.message).toMatch(/control characters/);
    // The message escapes what it shows, so printing the refusal does not run the escape sequence either.
    expect(issues[0]?.message).not.toContain('\u001b');
  });

  it('refuses URLs Sluice would call that are not http or https', () => {
    const issues = issuesOf(
      `${minimal}notifications:\n  webhooks:\n    - url: file:///etc/passwd\nsources:\n  health:\n    url: gopher://127.0.0.1/\nstages:\n  - name: a\n    weightPercent: 10\n    approval:\n      webhook: data:text/plain,hi\n`,
    );
    expect(issues.map((i) => i.path).sort()).toEqual(['notifications.webhooks[0].url', 'sources.health.url', 'stages[0].approval.webhook']);
    expect(issues[0]?.message).toMatch(/http:\/\/ or https:\/\//);
  });

  it('bounds what a refusal echoes back', () => {
    const issues = issuesOf(`${minimal}stages:\n  - name: a\n    weightPercent: "${'9'.repeat(100_000)}"\n`);
    expect(String(issues[0]?.value).length).toBeLessThanOrEqual(200);
    expect(issues[0]!.message.length).toBeLessThan(300);
  });
});
