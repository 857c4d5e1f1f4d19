import { SpecValidationError } from '@sluice/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseAdapterOptions } from './errors.js';

/** Messages about adapter options show what was given as it was (issue 11: Infinity was shown as `null`), bounded. */
describe('adapter option messages', () => {
  const schema = z.object({ port: z.string(), weight: z.string() }).strict();
  const refusal = (options: unknown): SpecValidationError => {
    try {
      parseAdapterOptions('test', schema, options);
    } catch (error) {
      return error as SpecValidationError;
    }
    throw new Error('expected a refusal');
  };

  it('shows Infinity as Infinity and cuts a long value', () => {
    const error = refusal({ port: Number.POSITIVE_INFINITY, weight: 5 });
    expect(error.issues.find((i) => i.path === 'adapter.options.port')?.message).toMatch(/got Infinity/);
    const long = refusal({ port: ['z'.repeat(100_000)], weight: '1' });
    expect(long.issues[0]!.message.length).toBeLessThan(300);
  });

  it('lists a few unknown options and counts the rest', () => {
    const options: Record<string, string> = { port: '1', weight: '1' };
    for (let i = 0; i < 500; i++) options[`k${i}`] = 'v';
    const message = refusal(options).issues[0]!.message;
    expect(message).toMatch(/and 490 more/);
    expect(message.length).toBeLessThan(400);
  });
});
