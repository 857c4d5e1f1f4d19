import { describe, expect, it } from 'vitest';
import { RolloutNotFoundError, SluiceError, SpecValidationError, isSluiceError, isValidationError } from './errors.js';

// A second evaluation of this very file is what a duplicate install of @sluice/core is: other classes, one brand.
const copySpecifier = './errors.js?second-copy';

describe('the one error root', () => {
  it('recognises errors thrown by another copy of the package, by brand and by instanceof of the root', async () => {
    const copy = (await import(/* @vite-ignore */ copySpecifier)) as typeof import('./errors.js');
    expect(copy.SluiceError).not.toBe(SluiceError);
    const foreign = new copy.RolloutNotFoundError('r1');
    expect(foreign instanceof RolloutNotFoundError).toBe(false); // a subclass of another copy is another class…
    expect(isSluiceError(foreign)).toBe(true); // …but every copy's error carries the same brand
    expect(foreign instanceof SluiceError).toBe(true);
    expect(foreign.code).toBe('SLUICE_E_ROLLOUT_NOT_FOUND');
    expect(isValidationError(new copy.SpecValidationError([{ path: 'stages', message: 'is required' }]))).toBe(true);
    expect(copy.isSluiceError(new SluiceError('SLUICE_E_SPEC_PARSE', 'x'))).toBe(true);
  });

  it('keeps instanceof of subclasses exact and recognises nothing else', () => {
    const plain = new SluiceError('SLUICE_E_SPEC_PARSE', 'x');
    expect(plain instanceof SpecValidationError).toBe(false);
    expect(new SpecValidationError([]) instanceof SpecValidationError).toBe(true);
    expect(new SpecValidationError([]) instanceof SluiceError).toBe(true);
    expect(isValidationError(plain)).toBe(false);
    for (const other of [new Error('x'), Object.assign(new Error('x'), { code: 'SLUICE_E_SPEC_PARSE' }), { code: 'SLUICE_E_SPEC_PARSE' }, null, undefined, 'SLUICE_E_SPEC_PARSE', 42]) {
      expect(isSluiceError(other)).toBe(false);
      expect(other instanceof SluiceError).toBe(false);
    }
  });
});
