import type { Command } from 'commander';
import { clientFrom, withClientOptions, type ClientFlags } from '../clientOptions.js';
import { CliExit, EXIT } from '../exitCodes.js';
import type { CliIo } from '../main.js';
import { rolloutBlock, summarise } from '../renderRollout.js';
import { CLEAR_SCREEN } from '../terminalText.js';

/** How often `watch` redraws while no event arrives (time in stage moves on), ms. */
export const WATCH_REDRAW_MS = 1_000;

/**
 * `sluice watch ID`: live view of one rollout (stage, weight bar, gate verdicts, time in stage), redrawn on every
 * event of its stream. Exits when the rollout ends, with a code that says how: 0 completed, 4 rolled back, 5 aborted.
 */
export function registerWatch(program: Command, io: CliIo): void {
  withClientOptions(program.command('watch').argument('<id>', 'rollout id').description('Follow a rollout live; the exit code says how it ended (0 completed, 4 rolled back, 5 aborted)'))
    .action(async (id: string, flags: ClientFlags) => {
      const client = clientFrom(flags);
      const tty = process.stdout.isTTY === true && !flags.json;
      let rollout = (await client.getRollout(id)).body.rollout;
      const draw = (): void => {
        if (flags.json) io.out(`${JSON.stringify(rollout)}\n`);
        else io.out(`${tty ? CLEAR_SCREEN : ''}${rolloutBlock(rollout, Date.now())}${tty ? '' : '\n'}`);
      };
      draw();
      const controller = new AbortController();
      const redraw = tty ? setInterval(draw, WATCH_REDRAW_MS) : undefined;
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      try {
        let pending: Promise<void> | undefined;
        if (!summarise(rollout).terminal) {
          // Only what happens from now on matters here; the history is already summarised in the first draw.
          const from = typeof rollout.nextPosition === 'number' ? rollout.nextPosition : 0;
          await client.followEvents(id, from, (event) => {
            // Redraw at most once per burst of events: the state is fetched again after each burst.
            if (event.type === 'tick' || pending) return false;
            pending = client.getRollout(id).then(({ body }) => {
              rollout = body.rollout;
              pending = undefined;
              if (summarise(rollout).terminal) controller.abort();
              else draw();
            });
            return false;
          }, controller.signal);
          await pending;
          rollout = (await client.getRollout(id)).body.rollout;
          draw();
        }
      } finally {
        clearInterval(redraw);
        process.off('SIGINT', stop);
      }
      const { phase, terminal } = summarise(rollout);
      if (!terminal) throw new CliExit(EXIT.failure);
      if (phase === 'rolledBack') throw new CliExit(EXIT.rolledBack);
      if (phase === 'aborted') throw new CliExit(EXIT.aborted);
    });
}
