import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SpecValidationError } from '../errors.js';
import { expandedSizeProblem, jsonDepthProblem, parseBoundedYaml, SPEC_LIMITS, yamlBoundsProblem, type DocumentLimits } from './boundedDocument.js';
import { parseSpecText } from './parseSpec.js';

const minimal = 'id: a\nservice: s\nbaseline: "1"\ncandidate: "2"\n';

function refusal(text: string): SpecValidationError {
  try {
    parseSpecText(text, 'spec.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(SpecValidationError);
    return error as SpecValidationError;
  }
  throw new Error('expected the spec to be refused');
}

/** Nesting depth of a plain value: a scalar is 0, a flat object or array 1. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

const nested: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.integer(), fc.string({ maxLength: 6 }), fc.constant(null), fc.boolean()),
    fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), tie('node'), { minKeys: 1, maxKeys: 3 }),
  ),
})).node;

describe('document bounds, checked before the YAML composer runs', () => {
  it('refuses a JSON spec nested 5,000 deep with a spec error, every time (it killed the daemon with a RegExpCompiler OOM)', () => {
    const deep = '['.repeat(5_000) + ']'.repeat(5_000);
    for (let attempt = 0; attempt < 3; attempt++) {
      const error = refusal(`{"id":"a","service":"s","baseline":"1","candidate":"2","x":${deep}}`);
      expect(error.code).toBe('SLUICE_E_SPEC_PARSE');
      expect(error.issues[0]?.message).toMatch(/nested deeper than 32 levels/);
      expect(error.issues[0]?.line).toBe(1);
    }
  });

  it.each([
    ['block sequences on one line', `${minimal}x: ${'- '.repeat(5_000)}1\n`],
    ['explicit keys', `${minimal}x: ${'? '.repeat(5_000)}1\n`],
    ['indented mappings', `${minimal}${Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`],
    ['flow mappings', `${minimal}x: ${'{a: '.repeat(3_000)}1${'}'.repeat(3_000)}\n`],
  ])('refuses deep %s', (_, text) => {
    expect(refusal(text).issues[0]?.message).toMatch(/nested deeper than/);
  });

  it('refuses an alias bomb as a spec error, not an internal error', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const name of 'bcdefg') levels.push(`${name}: &${name} [${Array(9).fill(`*${String.fromCharCode(name.charCodeAt(0) - 1)}`).join(',')}]`);
    const error = refusal(`${minimal}adapter:\n  type: none\n  options:\n${levels.map((l) => `    ${l}`).join('\n')}\n`);
    expect(error.code).toBe('SLUICE_E_SPEC_PARSE');
    expect(error.issues[0]?.message).toMatch(/aliases/);
  });

  it('refuses aliases that expand a small document past the limit, and an alias inside its own anchor', () => {
    const big = 'y'.repeat(60_000);
    const error = refusal(`${minimal}adapter:\n  type: none\n  options:\n    a: &big "${big}"\n    b: [${Array(20).fill('*big').join(', ')}]\n`);
    expect(error.issues[0]?.message).toMatch(/aliases expand it to more than/);
    expect(expandedSizeProblem((() => { const o: Record<string, unknown> = {}; o.self = o; return o; })(), 1_000)).toMatch(/contains it/);
  });

  it('refuses a document over the size limit before lexing it', () => {
    const error = refusal(`${minimal}# ${'x'.repeat(SPEC_LIMITS.bytesMax)}\n`);
    expect(error.issues[0]?.message).toMatch(/at most 131072 are accepted/);
  });

  it('reports a repeated key with its line (with a linear check, not yaml\'s quadratic one)', () => {
    const error = refusal(`${minimal}service: t\n`);
    expect(error.code).toBe('SLUICE_E_SPEC_PARSE');
    expect(error.issues[0]).toMatchObject({ line: 5, message: expect.stringMatching(/unique.*"service"/) });
  });

  it('keeps anchors and aliases that stay within the limits', () => {
    const spec = parseSpecText(
      `${minimal}stages:\n  - name: a\n    weightPercent: 10\n    gates: &gates\n      - kind: errorRate\n        maxPercent: 5\n  - name: b\n    weightPercent: 50\n    gates: *gates\n`,
    );
    expect(spec.stages[1]?.gates).toEqual(spec.stages[0]?.gates);
  });

  it('never underestimates the depth of YAML or JSON, and overestimates block nesting at most twofold', () => {
    const limits = (depthMax: number): DocumentLimits => ({ ...SPEC_LIMITS, depthMax });
    fc.assert(
      fc.property(nested, fc.constantFrom('block', 'flow', 'json'), (value, style) => {
        const text = style === 'json' ? JSON.stringify(value) : stringify(value, style === 'flow' ? { collectionStyle: 'flow' } : {});
        const depth = depthOf(value);
        if (depth > 0) expect(yamlBoundsProblem(text, limits(depth - 1))).toBeDefined();
        expect(yamlBoundsProblem(text, limits(2 * depth + 1))).toBeUndefined();
        if (style === 'json' && depth > 0) {
          expect(jsonDepthProblem(text, depth - 1)).toBeDefined();
          expect(jsonDepthProblem(text, depth)).toBeUndefined();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('parses what it accepts to the same value yaml does', () => {
    const { value } = parseBoundedYaml('a: [1, {b: "x"}]\nc: |\n  [[[ not a collection\n', SPEC_LIMITS, 'doc', 'SLUICE_E_SPEC_PARSE');
    expect(value).toEqual({ a: [1, { b: 'x' }], c: '[[[ not a collection\n' });
  });
});
