import type { Command } from 'commander';
import type { CliIo } from '../main.js';
import { issueCommand, operatorCommand, type OperatorFlags } from '../operatorCommand.js';

/** `sluice pause ID`: Pause a rollout: no stage advances until resume. */
export function registerPause(program: Command, io: CliIo): void {
  operatorCommand(program, 'pause', 'Pause a rollout: no stage advances until resume').action(async (id: string, flags: OperatorFlags) => issueCommand(io, id, 'pause', flags));
}
