import type { Command } from 'commander';
import type { CliIo } from '../main.js';
import { issueCommand, operatorCommand, type OperatorFlags } from '../operatorCommand.js';

/** `sluice rollback ID`: Roll a rollout back now. */
export function registerRollback(program: Command, io: CliIo): void {
  operatorCommand(program, 'rollback', 'Roll a rollout back now').action(async (id: string, flags: OperatorFlags) => issueCommand(io, id, 'rollback', flags));
}
