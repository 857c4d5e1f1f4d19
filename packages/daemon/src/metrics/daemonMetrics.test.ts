import { describe, expect, it } from 'vitest';
import { createDaemonMetrics } from './daemonMetrics.js';

/** Parses the exposition's sample lines into "name{labels}" → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    out.set(match[1]!, Number(match[2]));
  }
  return out;
}

describe('daemon metrics', () => {
  it('exposes phase, weights, gate verdicts, ingest, apply latency and webhook deliveries', async () => {
    const metrics = createDaemonMetrics({ processMetrics: false });
    metrics.setRolloutPhase('r1', 'progressing');
    metrics.setRolloutPhase('r1', 'rollingBack');
    metrics.setWeights('r1', { desiredPercent: 10, verifiedPercent: 1 });
    metrics.setGateVerdict('r1', 'canary', 'errors', 'inconclusive');
    metrics.setGateVerdict('r1', 'canary', 'errors', 'fail');
    metrics.countSamples(1_000, 3);
    metrics.countBatch('accepted');
    metrics.observeApply('nginx', 'applied', 0.04);
    metrics.countWebhookDelivery('delivered');
    metrics.countHealthProbe(false);
    metrics.countPulledWindow('error', 'SLUICE_E_PROMETHEUS_NO_DATA');
    metrics.countPulledWindow('ok');

    const text = await metrics.render();
    const s = samples(text);
    expect(s.get('sluice_rollout_phase{rollout="r1",phase="rollingBack"}')).toBe(1);
    expect(s.get('sluice_rollout_phase{rollout="r1",phase="progressing"}')).toBe(0);
    expect(s.get('sluice_rollout_weight_desired_percent{rollout="r1"}')).toBe(10);
    expect(s.get('sluice_rollout_weight_verified_percent{rollout="r1"}')).toBe(1);
    expect(s.get('sluice_gate_verdict{rollout="r1",stage="canary",gate="errors",verdict="fail"}')).toBe(1);
    expect(s.get('sluice_gate_verdict{rollout="r1",stage="canary",gate="errors",verdict="inconclusive"}')).toBe(0);
    expect(s.get('sluice_ingest_samples_total{result="accepted"}')).toBe(1_000);
    expect(s.get('sluice_ingest_samples_total{result="rejected"}')).toBe(3);
    expect(s.get('sluice_ingest_batches_total{result="rejected"}')).toBe(0);
    expect(s.get('sluice_adapter_apply_duration_seconds_bucket{le="0.05",adapter="nginx",result="applied"}')).toBe(1);
    expect(s.get('sluice_adapter_apply_duration_seconds_bucket{le="0.025",adapter="nginx",result="applied"}')).toBe(0);
    expect(s.get('sluice_webhook_deliveries_total{result="delivered"}')).toBe(1);
    expect(s.get('sluice_webhook_deliveries_total{result="dropped"}')).toBe(0);
    expect(s.get('sluice_health_probes_total{result="failed"}')).toBe(1);
    expect(s.get('sluice_health_probes_total{result="ok"}')).toBe(0);
    expect(s.get('sluice_prometheus_windows_total{result="error",code="SLUICE_E_PROMETHEUS_NO_DATA"}')).toBe(1);
    expect(s.get('sluice_prometheus_windows_total{result="ok",code=""}')).toBe(1);
    expect(metrics.contentType).toMatch(/^text\/plain/);
  });

  it('keeps only the current stage gates and drops a removed rollout', async () => {
    const metrics = createDaemonMetrics({ processMetrics: false });
    metrics.setGateVerdict('r1', 'canary', 'errors', 'pass');
    metrics.setGateVerdict('r1', 'ramp', 'latency', 'inconclusive');
    let s = samples(await metrics.render());
    expect([...s.keys()].filter((k) => k.includes('stage="canary"'))).toEqual([]);
    expect(s.get('sluice_gate_verdict{rollout="r1",stage="ramp",gate="latency",verdict="inconclusive"}')).toBe(1);
    metrics.setRolloutPhase('r1', 'completed');
    metrics.removeRollout('r1');
    s = samples(await metrics.render());
    expect([...s.keys()].filter((k) => k.includes('rollout="r1"'))).toEqual([]);
  });

  it('bounds per-rollout series and keeps registries private', async () => {
    const a = createDaemonMetrics({ processMetrics: false, rolloutsMax: 1 });
    const b = createDaemonMetrics();
    a.setRolloutPhase('r1', 'pending');
    a.setRolloutPhase('r2', 'pending');
    const s = samples(await a.render());
    expect(s.get('sluice_rollout_phase{rollout="r1",phase="pending"}')).toBe(1);
    expect([...s.keys()].some((k) => k.includes('rollout="r2"'))).toBe(false);
    expect(s.get('sluice_metrics_rollouts_skipped_total')).toBe(1);
    const other = await b.render();
    expect(other).not.toContain('rollout="r1"');
    expect(other).toContain('sluice_process_resident_memory_bytes');
  });
});
