import type { AnyStoredEvent } from '@sluice/core';
import { InvalidArgumentError, type Command } from 'commander';
import { clientFrom, withClientOptions, type ClientFlags } from '../clientOptions.js';
import type { CliIo } from '../main.js';
import { offlineEvents } from '../audit/offlineReads.js';

/** `sluice events ID [--from N] [--follow]`: prints a rollout's events, and with --follow keeps streaming them. */
export function registerEvents(program: Command, io: CliIo): void {
  withClientOptions(program.command('events').argument('<id>', 'rollout id').description("Print a rollout's events (--follow: stream new ones)"))
    .option('--from <position>', 'first position to print (a whole number ≥ 0)', parsePosition, 0)
    .option('--follow', 'keep streaming new events (Server-Sent Events) until interrupted')
    .option('--db <file>', 'read the events from this log file offline (read-only) instead of asking the daemon')
    .action(async (id: string, flags: ClientFlags & { from: number; follow?: boolean; db?: string }) => {
      const print = (event: AnyStoredEvent): void => io.out(flags.json ? `${JSON.stringify(event)}\n` : `${formatEvent(event)}\n`);
      let from = flags.from;
      if (flags.db !== undefined) return offlineEvents(id, from, { ...flags, db: flags.db }, io, print);
      const client = clientFrom(flags);
      if (!flags.follow) {
        for (;;) {
          const { body } = await client.events(id, from, 1_000);
          body.events.forEach(print);
          if (body.events.length < 1_000) return;
          from = body.next;
        }
      }
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      try {
        await client.followEvents(id, from, (event) => void print(event), controller.signal);
      } finally {
        process.off('SIGINT', stop);
      }
    });
}

/** `12  2026-11-23T23:59:01.123Z  gate.evaluated  {"gate":"errorRate",…}` */
export function formatEvent(event: AnyStoredEvent): string {
  const data = event.type === 'samples.window' ? windowSummary(event.data) : JSON.stringify(event.data);
  return `${String(event.position).padStart(5)}  ${new Date(event.at).toISOString()}  ${event.type.padEnd(22)} ${data.length > 240 ? `${data.slice(0, 237)}...` : data}`;
}

function windowSummary(data: { windowStartAt: number; baseline: { count: number; errors: number }; canary: { count: number; errors: number } }): string {
  return `window ${new Date(data.windowStartAt).toISOString().slice(11, 23)} baseline ${data.baseline.errors}/${data.baseline.count} errors, canary ${data.canary.errors}/${data.canary.count} errors`;
}

/** `--from` is a log position: a whole number ≥ 0. Anything else is a usage error (exit 2) naming the value. */
export function parsePosition(value: string): number {
  const position = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(position)) {
    throw new InvalidArgumentError(`"${value}" is not a position; give a whole number ≥ 0 (0 is the rollout's first event)`);
  }
  return position;
}
