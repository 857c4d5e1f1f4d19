import { describe, expect, it } from 'vitest';
import { FOLDING_COMMANDS, tuneProcessFor } from './processTuning.js';
import { commandEntries } from './commands/index.js';

// A V8 flag is process-wide: these run in this test file's own process (vitest's forks pool), as the CLI would.
describe('tuneProcessFor', () => {
  it('turns allocation-site pretenuring off for the commands that fold rollouts', () => {
    for (const command of FOLDING_COMMANDS) expect(tuneProcessFor([command, '--db', 'x.db'], []), command).toEqual(['--no-allocation-site-pretenuring']);
  });

  it('leaves V8 alone for every other command, for help, and for no command', () => {
    const others = commandEntries.map((entry) => entry.name).filter((name) => !FOLDING_COMMANDS.has(name));
    expect(others).toContain('daemon');
    for (const command of others) expect(tuneProcessFor([command], []), command).toEqual([]);
    expect(tuneProcessFor([], [])).toEqual([]);
    expect(tuneProcessFor(['--help'], [])).toEqual([]);
    expect(tuneProcessFor(['help', 'replay'], [])).toEqual([]);
  });

  it('lets a pretenuring option given to node win, either way and in either spelling', () => {
    for (const option of ['--allocation-site-pretenuring', '--no-allocation-site-pretenuring', '--allocation_site_pretenuring']) {
      expect(tuneProcessFor(['replay'], ['--conditions=sluice-source', option]), option).toEqual([]);
    }
  });

  it('names only commands that exist', () => {
    const names = new Set(commandEntries.map((entry) => entry.name));
    for (const command of FOLDING_COMMANDS) expect(names.has(command), command).toBe(true);
  });
});
