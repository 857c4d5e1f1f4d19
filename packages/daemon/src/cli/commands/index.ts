import type { Command } from 'commander';
import type { CliIo } from '../main.js';

/** A subcommand registers itself on the program (commander), one file each under ./commands. */
export type CommandRegistration = (program: Command, io: CliIo) => void;

/**
 * One line of the lazy command registry. `sluice --help` is printed from these lines alone; a command's module (and
 * commander, core, SQLite… behind it) is imported only when that command runs or its own help is asked for.
 */
export interface CommandEntry {
  /** The word after `sluice`. */
  readonly name: string;
  /** What follows the name in `sluice --help`: commander's usage of the command, e.g. `[options] <id>`. */
  readonly usage: string;
  /** The one-line description; the module must register the same text (commands/index.test.ts checks both). */
  readonly description: string;
  /** Imports the command's module and returns its registration. */
  readonly load: () => Promise<CommandRegistration>;
}

/**
 * Every `sluice` command, in the order `sluice --help` lists them. Adding a command is one entry here plus its file;
 * the test beside this file fails when an entry's name, usage or description differs from what its module registers.
 */
export const commandEntries: readonly CommandEntry[] = [
  {
    name: 'verify',
    usage: '[options]',
    description: 'Recompute every chain of an event log file (and its ingest journal); exit 1 naming the first broken link',
    load: async () => (await import('./verify.js')).registerVerify,
  },
  {
    name: 'replay',
    usage: '[options]',
    description: 'Replay recorded inputs through the machine; exit 1 when a recorded decision is not reproduced',
    load: async () => (await import('./replay.js')).registerReplay,
  },
  {
    name: 'daemon',
    usage: '[options]',
    description: 'Run the Sluice daemon: HTTP API, ingestion, scheduler, reconciler (flag > env > config file > default)',
    load: async () => (await import('./daemon.js')).registerDaemon,
  },
  {
    name: 'start',
    usage: '[options] <spec>',
    description: 'Create a rollout from a spec file',
    load: async () => (await import('./start.js')).registerStart,
  },
  {
    name: 'status',
    usage: '[options] [id]',
    description: 'Show rollouts: phase, stage, weights, gate verdicts',
    load: async () => (await import('./status.js')).registerStatus,
  },
  {
    name: 'watch',
    usage: '[options] <id>',
    description: 'Follow a rollout live; the exit code says how it ended (0 completed, 4 rolled back, 5 aborted)',
    load: async () => (await import('./watch.js')).registerWatch,
  },
  {
    name: 'promote',
    usage: '[options] <id>',
    description: 'Go to the next stage now (--full: straight to the last stage)',
    load: async () => (await import('./promote.js')).registerPromote,
  },
  {
    name: 'pause',
    usage: '[options] <id>',
    description: 'Pause a rollout: no stage advances until resume',
    load: async () => (await import('./pause.js')).registerPause,
  },
  {
    name: 'resume',
    usage: '[options] <id>',
    description: 'Resume a paused or held rollout',
    load: async () => (await import('./resume.js')).registerResume,
  },
  {
    name: 'abort',
    usage: '[options] <id>',
    description: 'Abort a rollout: the canary weight returns to 0 and the rollout ends aborted',
    load: async () => (await import('./abort.js')).registerAbort,
  },
  {
    name: 'rollback',
    usage: '[options] <id>',
    description: 'Roll a rollout back now',
    load: async () => (await import('./rollback.js')).registerRollback,
  },
  {
    name: 'approve',
    usage: '[options] <id>',
    description: 'Approve a stage that waits for approval',
    load: async () => (await import('./approve.js')).registerApprove,
  },
  {
    name: 'events',
    usage: '[options] <id>',
    description: "Print a rollout's events (--follow: stream new ones)",
    load: async () => (await import('./events.js')).registerEvents,
  },
  {
    name: 'demo',
    usage: '[options]',
    description: 'Run two real rollouts on this machine: a healthy candidate promoted to 100%, a faulty one rolled back to 0%',
    load: async () => (await import('./demo.js')).registerDemo,
  },
  {
    name: 'simulate',
    usage: '[options]',
    description: 'Run a whole rollout offline in virtual time against a traffic model; print outcome, stages and decisions',
    load: async () => (await import('./simulate.js')).registerSimulate,
  },
  {
    name: 'plan',
    usage: '[options] <spec>',
    description: 'Pre-flight: what each stage of a spec can prove at a given traffic, and how fast it catches regressions',
    load: async () => (await import('./plan.js')).registerPlan,
  },
  {
    name: 'audit',
    usage: '[options] [id]',
    description: "Audit past rollouts offline from the log: list them, one rollout's timeline, or its state at a moment",
    load: async () => (await import('./audit.js')).registerAudit,
  },
  {
    name: 'report',
    usage: '[options] <id>',
    description: 'Write a self-contained HTML report of one rollout from the log: timeline, gates, stages, evidence',
    load: async () => (await import('./report.js')).registerReport,
  },
];
