/**
 * The nginx canary example, end to end: installs nginx if missing, starts a private nginx, two services, a load
 * generator and the Sluice daemon with the nginx adapter and the access-log source; runs a healthy rollout to 100% and
 * a faulty one back to 0%, and reports the time from the fault to nginx serving 0% to the candidate.
 *
 *   npx tsx --conditions=sluice-source examples/nginx-canary/run.ts [--rate 400] [--json]
 */
import { startEnvironment, stopAllEnvironments } from './environment.js';
import { runFaultyRollout, runHealthyRollout, type FaultyResult, type HealthyResult } from './scenario.js';

export interface ExampleReport {
  healthy: HealthyResult;
  faulty: FaultyResult;
}

export async function runExample(options: { ratePerSecond: number; log?: (line: string) => void }): Promise<ExampleReport> {
  const environment = await startEnvironment({ ratePerSecond: options.ratePerSecond, ...(options.log ? { log: options.log } : {}) });
  try {
    const healthy = await runHealthyRollout(environment);
    const faulty = await runFaultyRollout(environment, { weightPercent: 50 });
    return { healthy, faulty };
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
      process.stderr.write(`${signal}: stopping nginx, the daemon and the services\n`);
      void stopAllEnvironments().finally(() => process.exit(130));
    });
  }
  const json = process.argv.includes('--json');
  const ratePerSecond = Number(flag('--rate', '400'));
  const log = json ? undefined : (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
  const report = await runExample({ ratePerSecond, ...(log ? { log } : {}) });
  const ok = report.healthy.outcome === 'completed' && report.healthy.servedWeightPercent === 100 && report.faulty.outcome !== 'completed' && report.faulty.servedWeightPercent === 0;
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    process.stdout.write(
      `healthy candidate: ${report.healthy.outcome}, nginx serves ${report.healthy.servedWeightPercent}% (${(report.healthy.durationMs / 1000).toFixed(1)} s)\n` +
        `faulty candidate:  ${report.faulty.outcome}, nginx serves ${report.faulty.servedWeightPercent}%\n` +
        `fault → nginx serving 0% to the candidate: ${report.faulty.faultToZeroMs} ms (from nginx's access log; rollback decided after ${report.faulty.faultToDecisionMs ?? '?'} ms)\n`,
    );
  }
  process.exitCode = ok ? 0 : 1;
}
