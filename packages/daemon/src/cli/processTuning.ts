import { setFlagsFromString } from 'node:v8';

/**
 * The commands that fold rollouts through the machine and the judge in this process: replay (every decision
 * recomputed), audit and report (every verdict recomputed), simulate (a simulated rollout judged window by window).
 * What they do is allocate many short-lived objects (decoded window histograms, gate states, XState snapshots) for a
 * second or so and exit. `plan` judges too, but measured no different with the flag (its windows are binned), so it
 * keeps V8's default: a flag is kept only where it measurably helps (docs/startup.md).
 */
export const FOLDING_COMMANDS: ReadonlySet<string> = new Set(['replay', 'audit', 'report', 'simulate']);

/** The V8 option tuned for them, without its `--` or `no-`. */
export const PRETENURING_FLAG = 'allocation-site-pretenuring';

/**
 * Turns V8's allocation-site pretenuring off for a folding command (`--no-allocation-site-pretenuring`).
 *
 * Pretenuring moves the objects of an allocation site whose objects often survive a young-generation collection
 * straight to the old generation. In a replay that is the wrong bet: the machine's snapshots and the gates' states live
 * a few windows, so they survive one scavenge and die soon after, and once pretenured they are garbage that only a
 * full mark-compact frees (and they keep the young objects they point to alive until then). Measured on a 6-hour
 * default rollout: `sluice replay` and `audit` take ~10% less CPU without it, a replay after a first one in the same
 * process ~25% less (docs/startup.md, docs/log.md).
 *
 * The flag is process-wide, so it is set here, by the process's entry points (bin/sluice.js, run.ts) before the
 * command's code is loaded — never by `main()`, which tests and other programs call in their own process, and never by
 * the library. The daemon keeps V8's default: its objects do live long. A pretenuring option given to node itself
 * (on its command line or in NODE_OPTIONS) wins, so the default can be measured: `node --allocation-site-pretenuring
 * $(which sluice) replay …`. Returns the flags it set.
 */
export function tuneProcessFor(argv: readonly string[], nodeOptions: readonly string[] = [...process.execArgv, ...(process.env['NODE_OPTIONS']?.split(/\s+/) ?? [])]): string[] {
  const command = argv[0];
  if (command === undefined || !FOLDING_COMMANDS.has(command)) return [];
  if (nodeOptions.some((option) => option.replace(/_/g, '-').endsWith(PRETENURING_FLAG))) return [];
  const flag = `--no-${PRETENURING_FLAG}`;
  setFlagsFromString(flag);
  return [flag];
}
