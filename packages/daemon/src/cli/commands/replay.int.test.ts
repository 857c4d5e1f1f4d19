import { EventLog, RolloutSession, validateSpec, type NewInputEvent, type RolloutSpecInput } from '@sluice/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../testing/runCli.js';

const T0 = Date.UTC(2026, 0, 15, 14, 0, 0);
const s = (n: number) => T0 + n * 1_000;

function specInput(maxPercent: number): RolloutSpecInput {
  const stage = (name: string, weightPercent: number) => ({
    name,
    weightPercent,
    durationMin: '1m',
    samplesMin: 10,
    gates: [{ kind: 'errorRate' as const, maxPercent, samplesMin: 10 }],
  });
  return { id: 'checkout', service: 'checkout', baseline: 'v1', candidate: 'v2', stages: [stage('canary', 5), stage('ramp', 50), stage('rollout', 100)] };
}

const window = (at: number, count: number, errors: number): NewInputEvent => ({
  type: 'samples.window',
  at,
  data: { windowStartAt: at - 5_000, windowEndAt: at, baseline: { count: 200, errors: 0, latencyHistogram: '' }, canary: { count, errors, latencyHistogram: '' } },
});

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-cli-replay-'));
  file = join(dir, 'events.db');
  const log = EventLog.open(file);
  // Recorded with a lenient 50% limit: the canary's 20% errors pass, and the rollout moves on to the ramp.
  const session = RolloutSession.create(log, validateSpec(specInput(50)), s(0));
  session.ingest({ type: 'weight.applied', at: s(1), data: { generation: 1, weightPercent: 5 } });
  for (let t = 6; t <= 61; t += 5) session.ingest(window(s(t), 10, 2));
  // The log holds 6 decisions: stage entry and weight, the gate's first verdict, its verdict at the pass, the ramp's
  // entry and weight; the 10 verdicts in between said nothing new (docs/log.md).
  log.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));


describe('sluice replay', () => {
  it('exits 0 when every recorded decision is reproduced', async () => {
    const { code, out } = await runCli('replay', '--db', file);
    expect(code).toBe(0);
    expect(out).toMatch(/^ok: checkout: 14 input\(s\), all 6 recorded decision\(s\) reproduced\n$/);
  });

  it('prints one JSON object with --json', async () => {
    const { code, out } = await runCli('replay', '--db', file, '--rollout', 'checkout', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      ok: true,
      file,
      mode: 'reproduce',
      rollouts: [{ rolloutId: 'checkout', reproduced: true, inputs: 14, recordedDecisions: 6, recomputedDecisions: 6, divergenceCount: 0, divergences: [], outcome: { sameOutcome: true } }],
    });
  });

  it('exits 1 and names the position when a recorded decision is not reproduced', async () => {
    const log = EventLog.open(file);
    log.append('checkout', log.nextPosition('checkout'), [{ type: 'paused', at: s(62), data: { reason: 'written by hand' } }]);
    log.close();
    const { code, out } = await runCli('replay', '--db', file);
    expect(code).toBe(1);
    expect(out).toContain('DIVERGED: checkout: 1 divergence(s) in 7 recorded decision(s)');
    expect(out).toContain('position 20 (input at 16): recorded paused {"reason":"written by hand"}; recomputed nothing');
  });

  it('with --spec prints how the outcome would have differed', async () => {
    const strict = join(dir, 'strict.json');
    // 2 errors in 10 requests are significantly above 1% (p = 0.0043 < 0.01), not above 5% (p = 0.086).
    writeFileSync(strict, JSON.stringify(specInput(1)));
    const { code, out } = await runCli('replay', '--db', file, '--spec', strict);
    expect(code).toBe(0);
    expect(out).toMatch(/^what-if checkout: would have rolled back at 2026-01-15 14:00:06 UTC \(gate errorRate in stage canary\); the recorded run was undecided/);
    const json = JSON.parse((await runCli('replay', '--db', file, '--spec', strict, '--json')).out);
    expect(json).toMatchObject({ ok: true, mode: 'whatIf', rollouts: [{ outcome: { sameOutcome: false, recomputed: { outcome: 'rolledBack' } } }] });
  });

  it('exits 2 for an unknown rollout, a missing file or an invalid spec', async () => {
    expect((await runCli('replay', '--db', file, '--rollout', 'nope')).code).toBe(2);
    expect((await runCli('replay', '--db', join(dir, 'missing.db'))).code).toBe(2);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'id: x\nstages: []\n');
    const result = await runCli('replay', '--db', file, '--spec', bad, '--json');
    expect(result.code).toBe(2);
    expect(JSON.parse(result.out)).toMatchObject({ ok: false, error: { code: 'SLUICE_E_SPEC_INVALID' } });
    // A --spec file that is not there is a spec error too, not the log's (it was SLUICE_E_LOG_SCHEMA).
    const missing = await runCli('replay', '--db', file, '--spec', join(dir, 'missing.yaml'), '--json');
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.out)).toMatchObject({ ok: false, error: { code: 'SLUICE_E_SPEC_INVALID', message: expect.stringContaining('missing.yaml') } });
  });
});
