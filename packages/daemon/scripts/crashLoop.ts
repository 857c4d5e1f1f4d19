/**
 * The documented crash and fault loop (docs/reliability.md): N SIGKILL/restart cycles of the real daemon under load.
 *   npx tsx --conditions=sluice-source packages/daemon/scripts/crashLoop.ts [--cycles 100] [--seed N]
 * Prints one line per cycle and a JSON summary; exits 1 when a sample was lost or counted twice, a rollout ended
 * otherwise than meant, the log or journal does not verify, or replay diverges.
 */
import { runCrashLoop } from '../src/testing/crashLoop.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const at = argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(argv[at + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer`);
  return value;
};
const cycles = flag('cycles', 100);
const seed = flag('seed', Date.now() % 1_000_000);
const started = Date.now();
const result = await runCrashLoop({ cycles, seed, log: (line) => process.stdout.write(`${line}\n`) });
process.stdout.write(`${JSON.stringify({ ...result, wallSeconds: Math.round((Date.now() - started) / 1000) }, null, 2)}\n`);
const ok = result.mismatches.length === 0 && result.unexpectedOutcomes.length === 0 && result.verifyOk && result.journalOk && result.replayDivergences === 0;
process.exit(ok ? 0 : 1);
