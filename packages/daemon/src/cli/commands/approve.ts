import type { Command } from 'commander';
import type { CliIo } from '../main.js';
import { issueCommand, operatorCommand, type OperatorFlags } from '../operatorCommand.js';

/** `sluice approve ID`: Approve a stage that waits for approval. */
export function registerApprove(program: Command, io: CliIo): void {
  operatorCommand(program, 'approve', 'Approve a stage that waits for approval').action(async (id: string, flags: OperatorFlags) => issueCommand(io, id, 'approve', flags));
}
