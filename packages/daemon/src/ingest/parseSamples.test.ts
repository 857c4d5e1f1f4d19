import { describe, expect, it } from 'vitest';
import { countLines, parseSampleLines, SAMPLE_FUTURE_MS_MAX } from './parseSamples.js';
import { parseWindowLines } from './parseWindows.js';

const NOW = 1_732_400_000_000;

describe('NDJSON samples', () => {
  it('keeps the valid lines and rejects each bad one with its 1-based line number and reason', () => {
    const body = [
      '{"variant":"canary","ok":true,"latencyMs":12.3,"at":1732399999000}',
      '',
      'not json',
      '{"variant":"baseline","status":503,"latencyMs":40}',
      '{"variant":"green","ok":true,"latencyMs":1}',
      '{"variant":"canary","latencyMs":1}',
      '{"variant":"canary","ok":true,"latencyMs":-1}',
      `{"variant":"stable","status":200,"latencyMs":3,"at":"${new Date(NOW).toISOString()}"}`,
      `{"variant":"canary","ok":true,"latencyMs":1,"at":${NOW + SAMPLE_FUTURE_MS_MAX + 1}}`,
    ].join('\n');
    const { samples, rejected } = parseSampleLines(body, NOW);
    expect(samples).toEqual([
      { line: 1, variant: 'canary', ok: true, latencyMs: 12.3, at: 1_732_399_999_000 },
      { line: 4, variant: 'baseline', ok: false, latencyMs: 40, at: NOW },
      { line: 8, variant: 'baseline', ok: true, latencyMs: 3, at: NOW },
    ]);
    expect(rejected.map((r) => r.line)).toEqual([3, 5, 6, 7, 9]);
    expect(rejected[0]!.reason).toMatch(/not JSON/);
    expect(rejected[1]!.reason).toMatch(/variant/);
    expect(rejected[2]!.reason).toMatch(/"ok".*"status"/);
    expect(rejected[3]!.reason).toMatch(/latencyMs/);
    expect(rejected[4]!.reason).toMatch(/future/);
  });

  it('says what was given, and that a small `at` is probably seconds, not milliseconds', () => {
    const body = [
      '{"variant":"canary","ok":true}',
      '{"variant":"canary","ok":"yes","latencyMs":1}',
      '{"ok":true,"latencyMs":1}',
      '{"variant":"canary","ok":true,"latencyMs":1,"at":1732400000}',
    ].join('\n');
    const { samples, rejected } = parseSampleLines(body, NOW);
    expect(samples).toEqual([]);
    expect(rejected.map((r) => r.reason)).toEqual([
      'latencyMs must be a non-negative number of ms (missing)',
      'needs "ok" (boolean) or "status" (integer HTTP status 0–999, 0 for a transport failure) (got "ok": "yes")',
      'variant must be "canary" or "baseline" (missing)',
      'at is 1732400000, which reads as 1970-01-21T01:13:20.000Z: it looks like seconds since epoch — send milliseconds (× 1000) or an ISO-8601 time',
    ]);
  });

  it('treats status 0 and 5xx as errors, 4xx as not', () => {
    const body = [0, 404, 500, 599].map((status) => JSON.stringify({ variant: 'canary', status, latencyMs: 1 })).join('\n');
    expect(parseSampleLines(body, NOW).samples.map((s) => s.ok)).toEqual([false, true, false, false]);
  });
});

describe('NDJSON windows', () => {
  it('checks alignment, counts and histograms per line', () => {
    const body = [
      '{"variant":"canary","windowStartAt":1732400000000,"count":10,"errors":1}',
      '{"variant":"canary","windowStartAt":1732400000001,"count":10,"errors":1}',
      '{"variant":"canary","windowStartAt":1732400000000,"count":1,"errors":2}',
      '{"variant":"canary","windowStartAt":1732400000000,"count":1,"errors":0,"latencyHistogram":"bogus"}',
    ].join('\n');
    const { windows, rejected } = parseWindowLines(body, 5_000, NOW);
    expect(windows).toHaveLength(1);
    expect(rejected.map((r) => r.line)).toEqual([2, 3, 4]);
    expect(rejected[0]!.reason).toMatch(/multiple/);
  });

  it('refuses a window starting more than SAMPLE_FUTURE_MS_MAX ahead: it would hold one of the few open windows for as long', () => {
    const hourAhead = NOW + 3_600_000;
    const body = [
      JSON.stringify({ variant: 'canary', windowStartAt: NOW, count: 10, errors: 0 }),
      JSON.stringify({ variant: 'canary', windowStartAt: hourAhead, count: 10, errors: 0 }),
    ].join('\n');
    const { windows, rejected } = parseWindowLines(body, 5_000, NOW);
    expect(windows.map((w) => w.windowStartAt)).toEqual([NOW]);
    expect(rejected).toEqual([{ line: 2, reason: expect.stringMatching(/in the future/) }]);
  });
});

describe('countLines (the batch bound)', () => {
  it('does not count the newline that ends the last line as another line', () => {
    expect(countLines('{"a":1}\n{"a":2}\n')).toBe(2);
    expect(countLines('{"a":1}\n{"a":2}')).toBe(2);
    expect(countLines('{"a":1}\n\n{"a":2}\n')).toBe(3);
  });

  it('refuses a line whose "ok" and "status" contradict each other, naming both; agreeing ones are kept', () => {
    const at = 1_732_400_000_000;
    const { samples, rejected } = parseSampleLines(
      [
        { variant: 'canary', ok: true, status: 500, latencyMs: 1 },
        { variant: 'canary', ok: false, status: 200, latencyMs: 1 },
        { variant: 'canary', ok: true, status: 200, latencyMs: 1 },
        { variant: 'canary', ok: false, status: 503, latencyMs: 1 },
        { variant: 'canary', ok: false, latencyMs: 1 },
      ]
        .map((line) => JSON.stringify(line))
        .join('\n'),
      at,
    );
    expect(samples.map((s) => [s.line, s.ok])).toEqual([
      [3, true],
      [4, false],
      [5, false],
    ]);
    expect(rejected).toEqual([
      { line: 1, reason: expect.stringMatching(/"ok": true contradicts "status": 500, which is an error/) },
      { line: 2, reason: expect.stringMatching(/"ok": false contradicts "status": 200, which is a success/) },
    ]);
  });

  it('shows Infinity and deep values in reasons without crashing, and refuses a deeply nested long line', () => {
    const { rejected } = parseSampleLines(
      [`{"variant":"canary","ok":true,"latencyMs":1e309}`, `{"variant":${'['.repeat(600)}${']'.repeat(600)},"ok":true}`, `{"variant":"canary","ok":true,"latencyMs":${'['.repeat(5_000)}${']'.repeat(5_000)}}`].join('\n'),
      1_732_400_000_000,
    );
    expect(rejected.map((r) => r.line)).toEqual([1, 2, 3]);
    expect(rejected[0]?.reason).toMatch(/got Infinity/);
    expect(rejected[1]?.reason.length).toBeLessThan(200);
    expect(rejected[2]?.reason).toMatch(/nested deeper than 32 levels/);
  });

  it('refuses variant names that are properties of every object (constructor, __proto__)', () => {
    const { samples, rejected } = parseSampleLines(['constructor', '__proto__', 'toString'].map((variant) => JSON.stringify({ variant, ok: true, latencyMs: 1 })).join('\n'), 1_732_400_000_000);
    expect(samples).toEqual([]);
    expect(rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/^variant must be/), expect.stringMatching(/^variant must be/), expect.stringMatching(/^variant must be/)]);
  });
});
