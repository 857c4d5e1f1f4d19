import type { Command } from 'commander';
import type { CliIo } from '../main.js';
import { issueCommand, operatorCommand, type OperatorFlags } from '../operatorCommand.js';

/** `sluice resume ID`: Resume a paused or held rollout. */
export function registerResume(program: Command, io: CliIo): void {
  operatorCommand(program, 'resume', 'Resume a paused or held rollout').action(async (id: string, flags: OperatorFlags) => issueCommand(io, id, 'resume', flags));
}
