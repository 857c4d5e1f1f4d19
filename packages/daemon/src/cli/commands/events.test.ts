import { describe, expect, it } from 'vitest';
import { runCli } from '../../testing/runCli.js';
import { parsePosition } from './events.js';

describe('sluice events --from', () => {
  it('takes a whole number ≥ 0', () => {
    expect(parsePosition('0')).toBe(0);
    expect(parsePosition('42')).toBe(42);
  });

  it.each(['abc', '-3', '1.5', ''])('refuses %j as a usage error (exit 2) naming the value, before any request', async (bad) => {
    const run = await runCli('events', 'some-rollout', '--from', bad, '--url', 'http://127.0.0.1:9');
    expect(run.code).toBe(2);
    expect(run.err).toContain(`"${bad}" is not a position`);
  });
});
