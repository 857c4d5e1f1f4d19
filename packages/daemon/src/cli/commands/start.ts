import type { Command } from 'commander';
import { isDaemonError } from '../../errors.js';
import { clientFrom, withClientOptions, type ClientFlags } from '../clientOptions.js';
import type { CliIo } from '../main.js';
import { rolloutBlock } from '../renderRollout.js';
import { readSpecFile, START_WINDOW_MS_MIN } from '../specFile.js';

/** `sluice start SPEC`: creates a rollout from a spec file (idempotent by id). */
export function registerStart(program: Command, io: CliIo): void {
  withClientOptions(program.command('start').argument('<spec>', 'rollout spec file, YAML or JSON (- for stdin)').description('Create a rollout from a spec file'))
    .action(async (specFile: string, flags: ClientFlags) => {
      // Checked here first, so problems name the file and its lines (the daemon only sees a request body).
      const { text } = readSpecFile(specFile, 'start', io, { windowMsMin: START_WINDOW_MS_MIN });
      const answer = await clientFrom(flags)
        .createRollout(text)
        .catch((error: unknown) => {
          // The daemon only saw a request body; its spec problems (sources, adapter options) belong to this file.
          if (isDaemonError(error) && error.code === 'SLUICE_E_DAEMON_RESPONSE') {
            const file = specFile === '-' ? 'stdin' : specFile;
            error.message = error.message.replace(/^(daemon answered 4\d\d SLUICE_E_(?:SPEC_INVALID|SPEC_PARSE|ADAPTER_OPTIONS): )(?:request body: )?/, `$1${file}: `);
          }
          throw error;
        });
      const rollout = answer.body.rollout as Record<string, unknown>;
      if (flags.json) io.out(`${JSON.stringify(answer.body)}\n`);
      else {
        io.out(`${answer.body.created ? 'created' : 'already exists (same spec)'}: ${String(rollout.id)}\n${rolloutBlock(rollout, Date.now())}`);
        // The daemon's pre-flight plan (a spec with expectedTraffic): what the stages cannot prove, said before they run.
        const warnings = (answer.body.plan as { warnings?: unknown } | undefined)?.warnings;
        if (Array.isArray(warnings) && warnings.length > 0) io.out(`plan warnings (sluice plan ${specFile} for the whole plan):\n${warnings.map((w) => `  - ${String(w)}`).join('\n')}\n`);
      }
    });
}
