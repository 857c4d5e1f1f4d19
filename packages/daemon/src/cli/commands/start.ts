import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DaemonError } from '../../errors.js';
import { clientFrom, withClientOptions, type ClientFlags } from '../clientOptions.js';
import type { CliIo } from '../main.js';
import { rolloutBlock } from '../renderRollout.js';

/** `sluice start SPEC`: creates a rollout from a spec file (idempotent by id). */
export function registerStart(program: Command, io: CliIo): void {
  withClientOptions(program.command('start').argument('<spec>', 'rollout spec file, YAML or JSON (- for stdin)').description('Create a rollout from a spec file'))
    .action(async (specFile: string, flags: ClientFlags) => {
      let text: string;
      try {
        text = readFileSync(specFile === '-' ? 0 : specFile, 'utf8');
      } catch (error) {
        throw new DaemonError('SLUICE_E_BODY_INVALID', `cannot read spec file ${specFile}: ${(error as Error).message}`);
      }
      const answer = await clientFrom(flags).createRollout(text);
      const rollout = answer.body.rollout as Record<string, unknown>;
      if (flags.json) io.out(`${JSON.stringify(answer.body)}\n`);
      else io.out(`${answer.body.created ? 'created' : 'already exists (same spec)'}: ${String(rollout.id)}\n${rolloutBlock(rollout, Date.now())}`);
    });
}
