import type { Command } from 'commander';
import type { CliIo } from '../main.js';
import { registerVerify } from './verify.js';

/** A subcommand registers itself on the program. Add new commands to the list below, one file each. */
export type CommandRegistration = (program: Command, io: CliIo) => void;

export const commandRegistrations: CommandRegistration[] = [
  registerVerify,
];
