import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPEC_LIMITS } from '@sluice/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../testing/runCli.js';
import { CliExit } from './exitCodes.js';
import { readBoundedFile } from './boundedFile.js';
import { readSpecFile } from './specFile.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-spec-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  let err = '';
  return { io: { out: () => undefined, err: (text: string) => void (err += text) }, err: () => err };
}

describe('the bounded spec file reader', () => {
  it('refuses /dev/zero and a file over the limit without reading them whole, and a directory', () => {
    expect(() => readBoundedFile('/dev/zero', 1_024)).toThrow(/larger than the 1024 bytes accepted/);
    const big = join(dir, 'big.yaml');
    writeFileSync(big, 'x'.repeat(SPEC_LIMITS.bytesMax + 1));
    expect(() => readBoundedFile(big, SPEC_LIMITS.bytesMax)).toThrow(/larger than the 131072 bytes accepted/);
    expect(() => readBoundedFile(dir, 1_024)).toThrow(/directory/);
    writeFileSync(big, 'x'.repeat(SPEC_LIMITS.bytesMax));
    expect(readBoundedFile(big, SPEC_LIMITS.bytesMax)).toHaveLength(SPEC_LIMITS.bytesMax);
  });

  it('turns every refusal into exit 2 naming the file', () => {
    const { io, err } = capture();
    expect(() => readSpecFile('/dev/zero', 'start', io)).toThrow(CliExit);
    expect(err()).toMatch(/sluice start: cannot read spec file \/dev\/zero: it is larger than the 131072 bytes accepted/);
  });

  it('sluice simulate refuses window: 0 and window: 1 at the field instead of hanging (exit 2)', async () => {
    const traffic = join(dir, 'traffic.json');
    writeFileSync(traffic, JSON.stringify({ seed: 1, durationMs: 60_000, requestsPerSecond: 10, baseline: { errorRate: 0.01, latencyMs: { p50: 20, p99: 80 } }, canary: { errorRate: 0.01, latencyMs: { p50: 20, p99: 80 } } }));
    for (const window of ['0', '1']) {
      const spec = join(dir, `window-${window}.yaml`);
      writeFileSync(spec, `id: w\nservice: s\nbaseline: "1"\ncandidate: "2"\nwindow: ${window}\n`);
      const run = await runCli('simulate', '--spec', spec, '--traffic', traffic);
      expect(run.code).toBe(2);
      expect(run.err).toMatch(/line 5, window: must be between 100ms and 1h|line 5, window: is 1ms; a window must be at least 1s/);
    }
  });
});
