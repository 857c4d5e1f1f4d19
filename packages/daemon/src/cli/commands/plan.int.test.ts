import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../testing/runCli.js';

let dir: string;
const arm = (errorRate: number) => ({ errorRate, latencyMs: { lognormal: { median: 40, sigma: 0.6 } } });
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-cli-plan-'));
  writeFileSync(join(dir, 'default.yaml'), 'id: plan-cli\nservice: shop\nbaseline: v1\ncandidate: v2\n');
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ seed: 1, durationMs: 1000, requestsPerSecond: 2000, baseline: arm(0.01), canary: arm(0.01) }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('sluice plan', () => {
  it('warns (exit 1) that the canary stage cannot see errors at 5 requests/s, naming the fixes', async () => {
    const run = await runCli('plan', join(dir, 'default.yaml'), '--rps', '5', '--error-rate', '0.001', '--seeds', '10');
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/stage canary: 1% for 2h00m/);
    expect(run.out).toMatch(/expected canary requests 360, canary errors 0\.36/);
    expect(run.out).toMatch(/warnings \(\d+\):\n {2}- stage canary: compareErrorRate cannot detect an error-rate regression smaller than \d+× .*to detect 10×: durationMin ≥/);
    expect(run.out).toMatch(/how: expected counts: exact; .*simulated with the judge's code, 10 seeded runs/);
  });

  it('has nothing to warn about at 2,000 requests/s (exit 0), from a traffic model, and prints JSON', async () => {
    const run = await runCli('plan', join(dir, 'default.yaml'), '--traffic', join(dir, 'model.json'), '--seeds', '5', '--json');
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.out) as { traffic: { requestsPerSecond: number; source: string }; stages: Array<{ stage: string; regressions: Array<{ name: string; detectedShare: number }> }>; warnings: string[] };
    expect(plan.traffic).toMatchObject({ requestsPerSecond: 2000, source: `traffic model ${join(dir, 'model.json')}` });
    expect(plan.warnings).toEqual([]);
    expect(plan.stages.map((s) => s.stage)).toEqual(['canary', 'ramp', 'rollout']);
    expect(plan.stages[1]!.regressions.find((r) => r.name === '10× errors')!.detectedShare).toBe(1);
  });

  it('refuses missing, conflicting and bad traffic arguments with exit 2', async () => {
    const spec = join(dir, 'default.yaml');
    const none = await runCli('plan', spec);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/say what traffic to plan for/);
    const both = await runCli('plan', spec, '--rps', '5', '--error-rate', '0.01', '--traffic', join(dir, 'model.json'));
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/give one of --traffic, --rps\/--error-rate or --prometheus/);
    const half = await runCli('plan', spec, '--rps', '5');
    expect(half.err).toMatch(/--rps and --error-rate go together/);
    const bad = await runCli('plan', spec, '--rps', '-3', '--error-rate', '7');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--rps[\s\S]*--error-rate/);
    const noSource = await runCli('plan', spec, '--prometheus');
    expect(noSource.code).toBe(2);
    expect(noSource.err).toMatch(/--prometheus needs a spec with sources\.prometheus/);
    expect((await runCli('plan', spec, '--rps', '5', '--error-rate', '0.01', '--seeds', 'many')).err).toMatch(/--seeds must be an integer/);
  });

  describe('--prometheus', () => {
    let server: Server;
    let url: string;
    const queries: string[] = [];
    beforeEach(async () => {
      // A Prometheus HTTP API answering the source's three instant queries for the baseline over the last 7 days.
      server = createServer(async (req, res) => {
        let body = '';
        for await (const chunk of req) body += String(chunk);
        const query = new URL(req.url!, 'http://x').searchParams.get('query') ?? new URLSearchParams(body).get('query') ?? '';
        queries.push(query);
        const days7 = 7 * 86_400;
        const vector = (metric: Record<string, string>, value: number) => ({ metric, value: [Date.now() / 1000, String(value)] });
        let result: unknown[];
        if (query.includes('_bucket')) {
          const total = 100 * days7;
          result = [
            vector({ le: '0.02' }, total * 0.1),
            vector({ le: '0.05' }, total * 0.6),
            vector({ le: '0.1' }, total * 0.93),
            vector({ le: '0.25' }, total * 0.99),
            vector({ le: '+Inf' }, total),
          ];
        } else if (query.includes('code=~')) result = [vector({}, 100 * days7 * 0.002)];
        else result = [vector({}, 100 * days7)];
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it("plans from the spec's Prometheus source: the baseline's requests, errors and latency over the last days", async () => {
      const spec = join(dir, 'prom.yaml');
      writeFileSync(spec, `id: plan-prom\nservice: shop\nbaseline: v1\ncandidate: v2\nsources:\n  prometheus:\n    url: ${url}\n    selector: job="shop"\n`);
      const run = await runCli('plan', spec, '--prometheus', '--days', '7', '--seeds', '0', '--json');
      expect(run.err).toBe('');
      const plan = JSON.parse(run.out) as { traffic: { requestsPerSecond: number; errorRate: number; source: string } };
      expect(plan.traffic.requestsPerSecond).toBeCloseTo(100, 6);
      expect(plan.traffic.errorRate).toBeCloseTo(0.002, 6);
      expect(plan.traffic.source).toMatch(/^Prometheus http:\/\/127\.0\.0\.1:\d+, baseline over the last 7 day\(s\)$/);
      expect(queries.some((q) => q.includes('version="v1"') && q.includes('[604800000ms]'))).toBe(true);
      expect(queries.every((q) => !q.includes('version="v2"'))).toBe(true);
    });
  });
});
