import type { Command } from 'commander';
import { clientFrom, withClientOptions, type ClientFlags } from '../clientOptions.js';
import type { CliIo } from '../main.js';
import { rolloutBlock, rolloutLine } from '../renderRollout.js';
import { offlineStatus } from '../audit/offlineReads.js';

/** `sluice status [ID]`: one rollout in detail, or every rollout one line each. */
export function registerStatus(program: Command, io: CliIo): void {
  withClientOptions(program.command('status').argument('[id]', 'rollout id; all rollouts when omitted').description('Show rollouts: phase, stage, weights, gate verdicts'))
    .option('--db <file>', 'rebuild the status from this log file offline (read-only) instead of asking the daemon')
    .action(async (id: string | undefined, flags: ClientFlags & { db?: string }) => {
      if (flags.db !== undefined) return offlineStatus(id, { ...flags, db: flags.db }, io);
      const client = clientFrom(flags);
      if (id) {
        const { body } = await client.getRollout(id);
        io.out(flags.json ? `${JSON.stringify(body.rollout)}\n` : rolloutBlock(body.rollout, Date.now()));
        return;
      }
      const { body } = await client.listRollouts();
      if (flags.json) io.out(`${JSON.stringify(body.rollouts)}\n`);
      else if (body.rollouts.length === 0) io.out('no rollouts yet — create one with `sluice start SPEC`\n');
      else io.out(`${body.rollouts.map(rolloutLine).join('\n')}\n`);
      // The daemon lists active rollouts and the most recently ended ones; the log holds all of them.
      if (!flags.json && typeof body.next === 'string') io.out('… older ended rollouts are not listed here: `sluice audit --db FILE` lists every rollout of the log\n');
      // Rollouts set aside at start (their log could not be loaded) are listed apart, so nobody mistakes them for gone.
      const quarantined = (body as { quarantined?: { rolloutId: string; code: string; reason: string }[] }).quarantined ?? [];
      if (flags.json) {
        if (quarantined.length > 0) io.err(`${JSON.stringify({ quarantined })}\n`);
      } else {
        for (const q of quarantined) io.out(`QUARANTINED ${q.rolloutId}: ${q.code}: ${q.reason}\n`);
      }
    });
}
