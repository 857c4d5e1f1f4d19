import type { Command } from 'commander';
import { clientFrom, withClientOptions, type ClientFlags } from './clientOptions.js';
import { CliExit, EXIT } from './exitCodes.js';
import type { CliIo } from './main.js';
import { rolloutBlock } from './renderRollout.js';

export type OperatorFlags = ClientFlags & { reason?: string; full?: boolean };

/**
 * The shape every operator command shares (POST /v1/rollouts/:id/commands/:command): `sluice NAME ID [--reason]`.
 * A command the rollout's state rejects prints the machine's reason and exits 1.
 */
export function operatorCommand(program: Command, name: string, description: string): Command {
  return withClientOptions(program.command(name).argument('<id>', 'rollout id').description(description)).option('--reason <text>', 'why, recorded in the log with the command');
}

export async function issueCommand(io: CliIo, id: string, command: string, flags: OperatorFlags): Promise<void> {
  const body: { actor: string; reason?: string } = { actor: `cli:${process.env.USER ?? 'unknown'}` };
  if (flags.reason) body.reason = flags.reason;
  const answer = await clientFrom(flags).command(id, command, body);
  if (flags.json) io.out(`${JSON.stringify(answer.body)}\n`);
  if (answer.status === 409) {
    if (!flags.json) io.err(`sluice: ${String((answer.body.error as { message?: string } | undefined)?.message ?? 'command rejected')}\n`);
    throw new CliExit(EXIT.failure);
  }
  if (!flags.json) io.out(`${command}: ok\n${rolloutBlock(answer.body.rollout as Record<string, unknown>, Date.now())}`);
}
