import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../testing/runCli.js';

let dir: string;
const arm = (errorRate: number) => ({ errorRate, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } });
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-cli-simulate-'));
  writeFileSync(
    join(dir, 'spec.yaml'),
    'id: sim-cli\nservice: shop\nbaseline: v1\ncandidate: v2\nstages:\n  - name: canary\n    weightPercent: 10\n    durationMin: 5m\n    gates:\n      - kind: compareErrorRate\n',
  );
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ seed: 1, durationMs: 1000, requestsPerSecond: 10, baseline: arm(0.01), canary: arm(7) }));
  writeFileSync(join(dir, 'faulty.json'), JSON.stringify({ seed: 1, durationMs: 1_200_000, requestsPerSecond: 100, baseline: arm(0.01), canary: arm(0.3) }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));


describe('sluice simulate', () => {
  it('rolls a faulty canary back, prints JSON, and leaves a log that replays and verifies', async () => {
    const db = join(dir, 'events.db');
    const simulated = await runCli('simulate', '--spec', join(dir, 'spec.yaml'), '--traffic', join(dir, 'faulty.json'), '--db', db, '--json');
    expect(simulated.code).toBe(1);
    const result = JSON.parse(simulated.out) as { outcome: string; rollbackStartedAtMs: number; stages: unknown[]; decisions: Array<{ type: string }> };
    expect(result.outcome).toBe('rolled_back');
    expect(result.rollbackStartedAtMs).toBeGreaterThan(0);
    expect(result.decisions.some((d) => d.type === 'rollback.started')).toBe(true);
    expect((await runCli('verify', '--db', db)).code).toBe(0);
    expect((await runCli('replay', '--db', db)).code).toBe(0);
  });

  it('refuses a bad traffic model naming the field', async () => {
    const bad = await runCli('simulate', '--spec', join(dir, 'spec.yaml'), '--traffic', join(dir, 'bad.json'));
    // Exit 2 (bad argument), not 1: a script must tell a typo in the model from a rollout that rolled back.
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/canary\.errorRate/);
  });

  it('refuses a --db that is not a Sluice log, or already holds the rollout, with exit 2 rather than 1 ("not completed")', async () => {
    writeFileSync(join(dir, 'notes.db'), 'not a database');
    const foreign = await runCli('simulate', '--spec', join(dir, 'spec.yaml'), '--traffic', join(dir, 'faulty.json'), '--db', join(dir, 'notes.db'));
    expect(foreign.code).toBe(2);
    expect(foreign.err).toMatch(/notes\.db is not a SQLite database .* — --db must be a Sluice event log/);
    const db = join(dir, 'events.db');
    await runCli('simulate', '--spec', join(dir, 'spec.yaml'), '--traffic', join(dir, 'faulty.json'), '--db', db);
    const again = await runCli('simulate', '--spec', join(dir, 'spec.yaml'), '--traffic', join(dir, 'faulty.json'), '--db', db);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already holds a rollout "sim-cli" — give the spec another id, or pass another --db/);
  });

  it('refuses an invalid spec with exit 2, naming the file, the line and the field', async () => {
    writeFileSync(join(dir, 'broken.yaml'), 'id: sim-cli\nservice: shop\nbaseline: v1\ncandidate: v2\nstages:\n  - name: canary\n    weightPercent: 150\n');
    const bad = await runCli('simulate', '--spec', join(dir, 'broken.yaml'), '--traffic', join(dir, 'faulty.json'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/broken\.yaml: .*\n.*line 7, stages\[0\]\.weightPercent: .*got 150/);
    const missing = await runCli('simulate', '--spec', join(dir, 'nothing.yaml'), '--traffic', join(dir, 'faulty.json'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read spec file .*nothing\.yaml: the file does not exist/);
  });
});
