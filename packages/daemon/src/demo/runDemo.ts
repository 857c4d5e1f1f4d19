import { mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { startRoutingProxy, VARIANT_OVERRIDE_HEADER } from '@sluice/adapters/inprocess';
import { DaemonClient } from '../client/DaemonClient.js';
import { resolveDaemonConfig } from '../config/daemonConfig.js';
import { ensureTokenFile } from '../config/token.js';
import { Daemon } from '../Daemon.js';
import { createLogger } from '../logger.js';
import { demoProgressLine } from './demoProgress.js';
import { startDemoService } from './demoService.js';
import { demoSpec } from './demoSpec.js';
import { startLoadGenerator } from './loadGenerator.js';
import { startSampleForwarder } from './sampleForwarder.js';

export interface DemoOptions {
  /** Directory for the log, token and daemon log; default `.sluice`. */
  dir: string;
  /** Fault rate of the faulty candidate, 0–1. */
  faultRate: number;
  /** Latency the faulty candidate adds to every request, ms. */
  extraLatencyMs: number;
  requestsPerSecond: number;
  /** Minimum time in each stage, ms. */
  stageMs: number;
  windowMs: number;
  /** Bound of the p95 latency breaker, ms; default 300. */
  latencyMsMax?: number;
  /** Prints a progress line. */
  out(line: string): void;
}

export interface DemoRolloutResult {
  rolloutId: string;
  outcome: string;
  durationMs: number;
  requests: number;
  samplesAccepted: number;
}

export interface DemoResult {
  db: string;
  daemonLog: string;
  healthy: DemoRolloutResult;
  faulty: DemoRolloutResult;
  replayCommand: string;
  /** `sluice report` of the faulty rollout: one HTML page with its timeline, gates and evidence (docs/report.md). */
  reportCommand: string;
}

export const DEMO_DEFAULTS = { dir: '.sluice', faultRate: 0.3, extraLatencyMs: 400, requestsPerSecond: 200, stageMs: 5_000, windowMs: 1_000 } as const;

/**
 * `sluice demo`: a daemon on an ephemeral loopback port with its own SQLite log, a stable service and a candidate
 * behind the in-process routing proxy, a load generator, and two rollouts through the real HTTP API and adapter — a
 * healthy candidate promoted to 100%, then a faulty one rolled back to 0%.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  mkdirSync(options.dir, { recursive: true });
  const db = join(options.dir, 'demo.db');
  const daemonLog = join(options.dir, 'demo-daemon.log');
  const config = resolveDaemonConfig({ flags: { db, listen: '127.0.0.1:0', tickMs: 100, windowGraceMs: 200, logLevel: 'info', windowMsMin: Math.max(100, Math.min(1_000, options.windowMs)) }, env: {} });
  const { token } = ensureTokenFile(join(options.dir, 'demo-token'));
  const daemon = await Daemon.start({ config, token, logger: createLogger('info', resolve(daemonLog)), processMetrics: false });
  const client = new DaemonClient({ url: daemon.url, token });
  const stable = await startDemoService({ version: 'v1', faultRate: 0, latencyMs: 20, extraLatencyMs: 0 });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15).toLowerCase();
  options.out(`sluice demo: daemon at ${daemon.url}, log ${db}, ${options.requestsPerSecond} requests/s, stages of ${options.stageMs / 1000}s`);
  try {
    const healthy = await runScenario(client, options, stable.url, { rolloutId: `demo-healthy-${stamp}`, label: 'healthy', candidate: 'v2', faultRate: 0, extraLatencyMs: 0 });
    const faulty = await runScenario(client, options, stable.url, {
      rolloutId: `demo-faulty-${stamp}`,
      label: 'faulty',
      candidate: 'v3',
      faultRate: options.faultRate,
      extraLatencyMs: options.extraLatencyMs,
    });
    const shownDb = relative(process.cwd(), resolve(db)) || db;
    return {
      db: resolve(db),
      daemonLog: resolve(daemonLog),
      healthy,
      faulty,
      replayCommand: `npx sluice replay --db ${shownDb} --rollout ${faulty.rolloutId}`,
      reportCommand: `npx sluice report --db ${shownDb} ${faulty.rolloutId} --out ${join(relative(process.cwd(), resolve(options.dir)) || '.', `${faulty.rolloutId}.html`)}`,
    };
  } finally {
    await stable.close();
    await daemon.stop();
  }
}

interface Scenario {
  rolloutId: string;
  label: string;
  candidate: string;
  faultRate: number;
  extraLatencyMs: number;
}

async function runScenario(client: DaemonClient, options: DemoOptions, stableUrl: string, scenario: Scenario): Promise<DemoRolloutResult> {
  const started = Date.now();
  const candidate = await startDemoService({ version: scenario.candidate, faultRate: scenario.faultRate, latencyMs: 20, extraLatencyMs: scenario.extraLatencyMs });
  const proxy = await startRoutingProxy({ stableUrl, candidateUrl: candidate.url });
  const load = startLoadGenerator({ url: proxy.url, requestsPerSecond: options.requestsPerSecond });
  await warmUp(proxy.url);
  const forwarder = startSampleForwarder(client, scenario.rolloutId);
  const unsubscribe = proxy.router.onSample(forwarder.listener);
  options.out(
    `\n[${scenario.label}] candidate ${scenario.candidate}: fault rate ${(scenario.faultRate * 100).toFixed(0)}%, +${scenario.extraLatencyMs} ms latency — rollout ${scenario.rolloutId}`,
  );
  try {
    await client.createRollout(JSON.stringify(demoSpec({ rolloutId: scenario.rolloutId, candidate: scenario.candidate, adminUrl: proxy.adminUrl, stageMs: options.stageMs, windowMs: options.windowMs, latencyMsMax: options.latencyMsMax ?? 300 })));
    // Bounded: three stages of at most 6 × stageMs each, plus slack for applying weights.
    const deadline = Date.now() + options.stageMs * 20 + 30_000;
    let lastLine = '';
    let rollout: Record<string, unknown> = {};
    while (Date.now() < deadline) {
      rollout = (await client.getRollout(scenario.rolloutId)).body.rollout;
      const line = demoProgressLine(scenario.label, rollout, started);
      if (line.key !== lastLine) {
        options.out(line.text);
        lastLine = line.key;
      }
      const state = rollout.state as { terminal?: boolean; appliedWeightPercent?: number | null; desiredWeightPercent?: number };
      if (state.terminal && state.appliedWeightPercent === state.desiredWeightPercent) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const state = rollout.state as { outcome?: string | null; phase?: string };
    return { rolloutId: scenario.rolloutId, outcome: state.outcome ?? `unfinished (${String(state.phase)})`, durationMs: Date.now() - started, requests: load.stats.sent, samplesAccepted: forwarder.stats.accepted };
  } finally {
    await load.stop();
    unsubscribe();
    await forwarder.stop();
    await proxy.close();
    await candidate.close();
  }
}

/** Requests sent to the candidate through the proxy before the rollout, so the first judged ones do not pay for cold connections. */
export const WARM_UP_REQUESTS = 32;

async function warmUp(proxyUrl: string): Promise<void> {
  const one = async (): Promise<void> => {
    try {
      const response = await fetch(proxyUrl, { headers: { [VARIANT_OVERRIDE_HEADER]: 'canary' }, signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
    } catch {
      // A faulty candidate may fail warm-up requests too; warming is best effort.
    }
  };
  await Promise.all(Array.from({ length: WARM_UP_REQUESTS }, one));
}
