import type { Command } from 'commander';
import type { CliIo } from '../main.js';
import { issueCommand, operatorCommand, type OperatorFlags } from '../operatorCommand.js';

/** `sluice abort ID`: Abort a rollout: the canary weight returns to 0 and the rollout ends aborted. */
export function registerAbort(program: Command, io: CliIo): void {
  operatorCommand(program, 'abort', 'Abort a rollout: the canary weight returns to 0 and the rollout ends aborted').action(async (id: string, flags: OperatorFlags) => issueCommand(io, id, 'abort', flags));
}
