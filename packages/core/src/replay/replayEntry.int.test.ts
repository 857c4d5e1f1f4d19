import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as core from '../index.js';
import * as replayEntry from './index.js';

/**
 * `@sluice/core/replay` (./index.ts) is `@sluice/core` without the spec parser, the simulator and the planner, so that
 * processes that only read logs do not load zod and yaml. Checked here: it is the same API (the very same bindings),
 * and a process that imports it loads neither.
 */
const ENTRY = fileURLToPath(new URL('./index.ts', import.meta.url));
/** Prints every module the process resolves (`RESOLVED <url>` on stderr). */
const hook = fileURLToPath(new URL('../../../../scripts/trace-modules.mjs', import.meta.url));

describe('@sluice/core/replay', () => {
  it('exports the same bindings as @sluice/core', () => {
    const names = Object.keys(replayEntry);
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) expect((replayEntry as Record<string, unknown>)[name], name).toBe((core as Record<string, unknown>)[name]);
  });

  it('exports what replaying and auditing a log uses', () => {
    for (const name of ['EventLog', 'replay', 'RolloutSession', 'decide', 'initialRolloutState', 'rolloutView', 'gateNameOf', 'isSluiceError', 'SluiceError', 'decodeLatencyHistogram', 'verifyLog']) {
      expect(replayEntry, name).toHaveProperty(name);
    }
  });

  it('loads neither zod nor yaml', () => {
    const script = `await import(${JSON.stringify(pathToFileURL(ENTRY).href)});`;
    const result = spawnSync(process.execPath, ['--conditions=sluice-source', '--import', 'tsx', '--import', pathToFileURL(hook).href, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    const resolved = result.stderr.split('\n').filter((line) => line.startsWith('RESOLVED '));
    // The hook saw the entry's graph: the machine's XState and the log's SQLite are in it.
    expect(resolved.some((url) => url.includes('/xstate@'))).toBe(true);
    expect(resolved.some((url) => url.includes('/better-sqlite3@'))).toBe(true);
    expect(resolved.filter((url) => /\/(zod|yaml)@/.test(url))).toEqual([]);
  });
});
