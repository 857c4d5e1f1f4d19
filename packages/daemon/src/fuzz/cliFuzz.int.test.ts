import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDaemonConfig } from '../config/daemonConfig.js';
import { runCli } from '../testing/runCli.js';
import { fuzzFileText } from './fuzzInputs.js';

/**
 * CI size of the CLI's file fuzzer (docs/reliability.md, "Fuzzing the inputs"): spec files (`sluice start`), traffic
 * models (`sluice simulate`) and daemon config files, from the same structured, adversarial and raw families as the
 * API. A file is a bad argument (exit 2, the file named) or, for a valid spec, handed on (here to a daemon that is not
 * running: exit 3). Never exit 70 (a bug), never an exception out of the CLI.
 */
const CASES = Number(process.env.SLUICE_FUZZ_CLI_CASES ?? 60);
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-fuzz-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'cli-fuzz-token-0123456789\n');
const validSpec = join(dir, 'valid.yaml');
writeFileSync(validSpec, 'id: fz-a\nservice: s\nbaseline: "1"\ncandidate: "2"\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let file = 0;
function written(text: Buffer): string {
  const path = join(dir, `case-${file++ % 8}.yaml`);
  writeFileSync(path, text);
  return path;
}

const options = (name: string) => ({
  numRuns: CASES,
  endOnFailure: true,
  reporter: (details: fc.RunDetails<unknown>) => {
    if (details.failed) throw new Error(`${name}: case ${details.numRuns} failed (seed ${details.seed}): ${String(details.errorInstance).slice(0, 2_000)}`);
  },
});

describe('fuzzing the files the CLI reads', () => {
  it('spec files: exit 2 naming the file, or 3 for a valid spec and no daemon; never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzFileText, async ({ text }) => {
        const path = written(text);
        const run = await runCli('start', path, '--url', 'http://127.0.0.1:1', '--token-file', tokenFile);
        expect([2, 3], run.err.slice(0, 500)).toContain(run.code);
        if (run.code === 2) expect(run.err).toContain(path);
        expect(run.err).not.toMatch(/\x1b|unexpected error/);
      }),
      options('spec files'),
    );
  });

  it('traffic models: exit 2 naming what is wrong; never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzFileText, async ({ text }) => {
        const path = written(text);
        const run = await runCli('simulate', '--spec', validSpec, '--traffic', path);
        expect(run.code, run.err.slice(0, 500)).toBe(2);
        expect(run.err).toMatch(/traffic model|case-\d\.yaml/);
      }),
      options('traffic models'),
    );
  });

  it('daemon config files: valid settings or SLUICE_E_CONFIG_INVALID naming the file; nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzFileText, async ({ text }) => {
        const path = written(text);
        try {
          resolveDaemonConfig({ flags: {}, env: {}, configFile: path });
        } catch (error) {
          expect((error as { code?: unknown }).code, String(error).slice(0, 500)).toBe('SLUICE_E_CONFIG_INVALID');
          expect((error as Error).message).toContain(path);
        }
      }),
      options('config files'),
    );
  });
});
