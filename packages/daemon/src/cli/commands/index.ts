import type { Command } from 'commander';
import type { CliIo } from '../main.js';
import { registerVerify } from './verify.js';
import { registerReplay } from './replay.js';
import { registerDaemon } from './daemon.js';
import { registerStart } from './start.js';
import { registerStatus } from './status.js';
import { registerWatch } from './watch.js';
import { registerPromote } from './promote.js';
import { registerPause } from './pause.js';
import { registerResume } from './resume.js';
import { registerAbort } from './abort.js';
import { registerRollback } from './rollback.js';
import { registerApprove } from './approve.js';
import { registerEvents } from './events.js';
import { registerDemo } from './demo.js';
import { registerSimulate } from './simulate.js';
import { registerAudit } from './audit.js';

/** A subcommand registers itself on the program. Add new commands to the list below, one file each. */
export type CommandRegistration = (program: Command, io: CliIo) => void;

export const commandRegistrations: CommandRegistration[] = [
  registerVerify,
  registerReplay,
  registerDaemon,
  registerStart,
  registerStatus,
  registerWatch,
  registerPromote,
  registerPause,
  registerResume,
  registerAbort,
  registerRollback,
  registerApprove,
  registerEvents,
  registerDemo,
  registerSimulate,
  registerAudit,
];
