import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLLBACK_ID, BREAKER_ONLY_SPEC_YAML, simulateRollback, type SimulatedLog } from '../../report/testing/simulatedLog.js';
import { runCli } from '../../testing/runCli.js';

let simulated: SimulatedLog;
beforeAll(() => {
  simulated = simulateRollback();
});
afterAll(() => simulated.remove());

describe('sluice report', () => {
  it('writes one HTML page and says what it found', async () => {
    const out = join(simulated.dir, 'r.html');
    const run = await runCli('report', '--db', simulated.file, ROLLBACK_ID, '--out', out);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/^wrote .*r\.html \(\d+ KB\): rolled back from stage canary \(gate compareErrorRate\): .*, [\d.]+s from decision to verified 0%\n$/);
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(existsSync(`${out}.partial`)).toBe(false);
    const stdout = await runCli('report', '--db', simulated.file, ROLLBACK_ID, '--out', '-');
    expect(stdout.out).toBe(html);
  });

  it('re-judges with --spec and prints the comparison', async () => {
    const spec = join(simulated.dir, 'breaker-only.yaml');
    writeFileSync(spec, BREAKER_ONLY_SPEC_YAML);
    const run = await runCli('report', '--db', simulated.file, ROLLBACK_ID, '--out', join(simulated.dir, 'w.html'), '--spec', spec);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/\nre-judged with .*breaker-only\.yaml: would not have decided before the recorded inputs ended .*; the recorded run rolled back at /);
  });

  it('refuses a missing log, an unknown rollout, a bad spec and an unwritable path with exit 2 and a reason', async () => {
    const missing = await runCli('report', '--db', join(simulated.dir, 'none.db'), ROLLBACK_ID);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.err).toMatch(/no event log at .*none\.db/);
    const unknown = await runCli('report', '--db', simulated.file, 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/no rollout "nope" in .*; it holds: checkout-rollback/);
    const badSpec = join(simulated.dir, 'bad.yaml');
    writeFileSync(badSpec, 'id: x\n');
    const invalid = await runCli('report', '--db', simulated.file, ROLLBACK_ID, '--spec', badSpec);
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/bad\.yaml/);
    const unwritable = await runCli('report', '--db', simulated.file, ROLLBACK_ID, '--out', join(simulated.dir, 'no', 'such', 'dir.html'));
    expect(unwritable.code).toBe(2);
    expect(unwritable.err).toMatch(/cannot write .*dir\.html: .* — pass --out with a writable path/);
  });
});
