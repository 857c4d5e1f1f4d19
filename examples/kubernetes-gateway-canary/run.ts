/**
 * The Kubernetes Gateway API canary example, end to end: the test API server holds an HTTPRoute (applied with the real
 * kubectl), a small gateway routes by its weights, the Sluice daemon drives the route through the kubernetes adapter;
 * a healthy rollout to 100%, a faulty one back to 0%, and a hand edit of the weights in the middle of a stage undone.
 *
 *   npx tsx --conditions=sluice-source examples/kubernetes-gateway-canary/run.ts [--rate 400] [--json]
 */
import { startEnvironment, stopAllEnvironments } from './environment.js';
import { runFaultyRollout, runHandEditDuringStage, runHealthyRollout, type DriftResult, type FaultyResult, type HealthyResult } from './scenario.js';

export interface ExampleReport {
  healthy: HealthyResult;
  faulty: FaultyResult;
  drift: DriftResult;
}

export async function runExample(options: { ratePerSecond: number; log?: (line: string) => void }): Promise<ExampleReport> {
  const environment = await startEnvironment({ ratePerSecond: options.ratePerSecond, ...(options.log ? { log: options.log } : {}) });
  try {
    const healthy = await runHealthyRollout(environment);
    const faulty = await runFaultyRollout(environment, { weightPercent: 50 });
    const drift = await runHandEditDuringStage(environment);
    return { healthy, faulty, drift };
  } finally {
    await environment.stop();
  }
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`${signal}: stopping the daemon, the gateway, the test API server and the services\n`);
      void stopAllEnvironments().finally(() => process.exit(130));
    });
  }
  const json = process.argv.includes('--json');
  const ratePerSecond = Number(flag('--rate', '400'));
  const log = json ? undefined : (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
  const report = await runExample({ ratePerSecond, ...(log ? { log } : {}) });
  const ok =
    report.healthy.outcome === 'completed' &&
    report.healthy.servedWeightPercent === 100 &&
    report.faulty.outcome !== 'completed' &&
    report.faulty.servedWeightPercent === 0 &&
    report.drift.driftRecorded &&
    report.drift.routeWeights.join('/') === '8000/2000';
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    process.stdout.write(
      `healthy candidate: ${report.healthy.outcome}, the gateway routes ${report.healthy.servedWeightPercent}% (${(report.healthy.durationMs / 1000).toFixed(1)} s)\n` +
        `faulty candidate:  ${report.faulty.outcome}, the gateway routes ${report.faulty.servedWeightPercent}%\n` +
        `fault → the gateway routing 0% to the candidate: ${report.faulty.faultToZeroMs} ms (from the gateway's access log; rollback decided after ${report.faulty.faultToDecisionMs ?? '?'} ms)\n` +
        `kubectl edit of the weights mid-stage: undone in ${report.drift.editToRestoredMs} ms (drift recorded: ${report.drift.driftRecorded}; route back at ${report.drift.routeWeights.join('/')})\n`,
    );
  }
  process.exitCode = ok ? 0 : 1;
}
