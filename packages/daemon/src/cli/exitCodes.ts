/** Exit codes of the `sluice` CLI, documented in docs/cli.md. Stable: scripts depend on them. */
export const EXIT = {
  ok: 0,
  /** The command ran, but the answer is "no": replay diverged, the chain is broken, the rollout rolled back. */
  failure: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** The daemon could not be reached. */
  unreachable: 3,
  /** A rollout ended rolled back (watch). */
  rolledBack: 4,
  /** A rollout ended aborted (watch). */
  aborted: 5,
  /** A bug: an unexpected exception. */
  internal: 70,
} as const;

/** Thrown by a command to end the CLI with a specific exit code after it has printed what it had to say. */
export class CliExit extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}
