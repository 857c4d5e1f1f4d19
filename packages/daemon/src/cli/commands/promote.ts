import type { Command } from 'commander';
import type { CliIo } from '../main.js';
import { issueCommand, operatorCommand, type OperatorFlags } from '../operatorCommand.js';

/** `sluice promote ID [--full]`: go to the next stage now, or with --full straight to the last stage (100%). */
export function registerPromote(program: Command, io: CliIo): void {
  operatorCommand(program, 'promote', 'Go to the next stage now (--full: straight to the last stage)')
    .option('--full', 'promote to the last stage at once')
    .action(async (id: string, flags: OperatorFlags) => issueCommand(io, id, flags.full ? 'promote-full' : 'promote', flags));
}
