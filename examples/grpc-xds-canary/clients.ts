import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
/** tsx's loader, so that the client processes run the TypeScript sources (plain node + --import keeps IPC direct). */
const TSX_LOADER = pathToFileURL(join(here, '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** One RPC as its client saw it: when it ended, which version answered ('' when none did), whether it succeeded. */
export interface Outcome {
  at: number;
  version: string;
  ok: boolean;
}

/** Outcomes kept for the measurements; older ones are dropped first. */
const OUTCOMES_MAX = 500_000;

export interface ClientFleet {
  readonly nodeIds: readonly string[];
  readonly outcomes: Outcome[];
  /** Resolves once every client process runs and its xDS client is connecting (before any route exists). */
  started(timeoutMs: number): Promise<void>;
  /** Resolves once every client had a call answered (its xDS client got listener, route, clusters and endpoints). */
  ready(timeoutMs: number): Promise<void>;
  reportTo(rolloutId: string, baseline: string): void;
  stop(): Promise<void>;
}

/**
 * Starts `count` client processes (clientProcess.ts), each its own proxyless gRPC application with its own node id
 * (`client-1`, …) in its xDS bootstrap, together sending `ratePerSecond` calls per second.
 */
export function startClients(options: { count: number; ratePerSecond: number; xdsPort: number; daemonUrl: string; token: string }): ClientFleet {
  const outcomes: Outcome[] = [];
  const children: ChildProcess[] = [];
  const readiness: Promise<void>[] = [];
  const starts: Promise<void>[] = [];
  const nodeIds = Array.from({ length: options.count }, (_, i) => `client-${i + 1}`);
  for (const nodeId of nodeIds) {
    const bootstrap = { xds_servers: [{ server_uri: `127.0.0.1:${options.xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: [] }], node: { id: nodeId, cluster: 'greeter-clients', locality: { zone: 'local' } } };
    const child = fork(join(here, 'clientProcess.ts'), [], {
      execPath: process.execPath,
      execArgv: ['--import', TSX_LOADER, '--conditions=sluice-source'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap), SLUICE_URL: options.daemonUrl, SLUICE_TOKEN: options.token, RATE_PER_SECOND: String(options.ratePerSecond / options.count) },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`client ${nodeId} exited with ${code}: ${stderr}`))));
    exited.catch(() => undefined);
    starts.push(Promise.race([new Promise<void>((resolve) => child.on('message', (message: { started?: boolean }) => message.started && resolve())), exited]));
    readiness.push(
      new Promise<void>((resolve, reject) => {
        child.on('message', (message: { ready?: boolean; outcomes?: [number, string, boolean][] }) => {
          if (message.ready) resolve();
          if (message.outcomes) {
            for (const [at, version, ok] of message.outcomes) outcomes.push({ at, version, ok });
            if (outcomes.length > OUTCOMES_MAX) outcomes.splice(0, outcomes.length - OUTCOMES_MAX);
          }
        });
        child.once('exit', (code) => reject(new Error(`client ${nodeId} exited with ${code}: ${stderr}`)));
      }),
    );
    // Marked handled: a client that exits at stop() before it was ever ready must not be an unhandled rejection.
    readiness.at(-1)!.catch(() => undefined);
    children.push(child);
  }
  return {
    nodeIds,
    outcomes,
    started: (timeoutMs) => within(Promise.all(starts), timeoutMs, `the gRPC client processes did not start within ${timeoutMs} ms`),
    ready: (timeoutMs) => within(Promise.all(readiness), timeoutMs, `the gRPC clients had no call answered within ${timeoutMs} ms`),
    reportTo(rolloutId, baseline) {
      for (const child of children) if (child.connected) child.send({ rolloutId, baseline });
    },
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
              child.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              if (child.connected) child.send({ stop: true });
              else child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

async function within(promise: Promise<unknown>, timeoutMs: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), timeoutMs)));
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
