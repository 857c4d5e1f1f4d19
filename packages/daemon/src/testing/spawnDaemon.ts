import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../cli/run.ts', import.meta.url));
/** How long a spawned daemon may take to print its address. */
export const DAEMON_START_TIMEOUT_MS = 60_000;

export interface SpawnedDaemon {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stderr so far (for failure messages). */
  stderr(): string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawns the real `sluice daemon` process from sources (tsx) and resolves once it prints the address it listens on.
 * Test helper: the integration tests SIGKILL it and start another on the same files.
 */
export function spawnDaemon(args: string[], env: NodeJS.ProcessEnv = {}): Promise<SpawnedDaemon> {
  const child = spawn(process.execPath, ['--conditions=sluice-source', '--import', 'tsx', RUN, 'daemon', '--listen', '127.0.0.1:0', ...args], {
    // Tests use windows shorter than the 1 s users get by default.
    env: { ...process.env, SLUICE_WINDOW_MS_MIN: '100', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`daemon did not start within ${DAEMON_START_TIMEOUT_MS} ms:\n${stderr}`));
    }, DAEMON_START_TIMEOUT_MS);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1]!,
          stderr: () => stderr,
          kill: async (signal) => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code} before listening:\n${stderr}`));
    });
  });
}
