import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, verifyLog } from '@sluice/core';
import { afterEach, describe, expect, it } from 'vitest';
import { runDemo } from './runDemo.js';

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sluice demo', () => {
  it('promotes the healthy candidate to 100% and rolls the faulty one back to 0%, on a verifiable log', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
    const lines: string[] = [];
    // A loaded CI machine can stall this process's event loop (which also measures the proxy's latencies) for hundreds
    // of ms; the latency breaker is set far above that so only the error-rate breaker decides here.
    const result = await runDemo({ dir, faultRate: 0.5, extraLatencyMs: 0, requestsPerSecond: 300, stageMs: 1_000, windowMs: 500, latencyMsMax: 5_000, out: (line) => lines.push(line) });

    expect(result.healthy.outcome, lines.join('\n')).toBe('completed');
    expect(result.faulty.outcome).toBe('rolledBack');
    expect(result.healthy.samplesAccepted).toBeGreaterThan(0);
    expect(result.replayCommand).toContain(`--rollout ${result.faulty.rolloutId}`);
    expect(result.reportCommand).toMatch(new RegExp(`^npx sluice report --db .*demo\\.db ${result.faulty.rolloutId} --out .*${result.faulty.rolloutId}\\.html$`));
    expect(lines.join('\n')).toContain('rollback: canary error rate');

    const log = EventLog.open(result.db, { readonly: true });
    try {
      expect(verifyLog(log).ok).toBe(true);
      const types = [...log.read(result.faulty.rolloutId)].map((e) => e.type);
      expect(types).toContain('rollback.started');
      // The rollback is complete only once the router verified 0%.
      expect(types.lastIndexOf('weight.applied')).toBeLessThan(types.indexOf('rollback.completed'));
    } finally {
      log.close();
    }
  }, 180_000);
});
