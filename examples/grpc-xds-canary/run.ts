/**
 * The proxyless gRPC canary example, end to end: three gRPC services, the Sluice daemon with its xDS server
 * (`--xds-listen`), and client processes on @grpc/grpc-js-xds that take their routes from it. A healthy candidate goes
 * to 100%, a faulty one is rolled back, and the time from the fault to 0% is read from the clients' own RPC outcomes.
 *
 *   npx tsx --conditions=sluice-source examples/grpc-xds-canary/run.ts [--rate 200] [--clients 2] [--json]
 */
import { startEnvironment, stopAllEnvironments } from './environment.js';
import { runFaultyRollout, runHealthyRollout, type FaultyResult, type HealthyResult } from './scenario.js';

export interface ExampleReport {
  healthy: HealthyResult;
  faulty: FaultyResult;
}

export async function runExample(options: { ratePerSecond: number; clients?: number; log?: (line: string) => void }): Promise<ExampleReport> {
  const environment = await startEnvironment({ ratePerSecond: options.ratePerSecond, ...(options.clients ? { clients: options.clients } : {}), ...(options.log ? { log: options.log } : {}) });
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
      process.stderr.write(`${signal}: stopping the clients, the daemon and the services\n`);
      void stopAllEnvironments().finally(() => process.exit(130));
    });
  }
  const json = process.argv.includes('--json');
  const log = json ? undefined : (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
  const report = await runExample({ ratePerSecond: Number(flag('--rate', '200')), clients: Number(flag('--clients', '2')), ...(log ? { log } : {}) });
  const ok = report.healthy.outcome === 'completed' && report.healthy.candidateSharePercent === 100 && report.faulty.outcome === 'rolledBack' && report.faulty.candidateShareAfterPercent === 0;
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    process.stdout.write(
      `healthy candidate: ${report.healthy.outcome}, the clients' calls go ${report.healthy.candidateSharePercent}% to v2 (${(report.healthy.durationMs / 1000).toFixed(1)} s)\n` +
        `faulty candidate:  ${report.faulty.outcome}, the clients' calls go ${report.faulty.candidateShareAfterPercent}% to v3\n` +
        `fault → 0% to the candidate: ${report.faulty.faultToZeroMs} ms (from the clients' own RPC outcomes; rollback decided after ${report.faulty.faultToDecisionMs ?? '?'} ms)\n`,
    );
  }
  process.exitCode = ok ? 0 : 1;
}
