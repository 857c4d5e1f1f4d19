#!/usr/bin/env node
// The `sluice` binary. It runs the compiled CLI; `pnpm run build` produces it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
const tuning = new URL('../dist/cli/processTuning.js', import.meta.url);
if (!existsSync(fileURLToPath(entry)) || !existsSync(fileURLToPath(tuning))) {
  process.stderr.write('sluice: the CLI is not built yet (or was built by an older version) — run `npx -y pnpm@10.34.8 run build` at the repository root first.\n');
  process.exit(70);
}
const argv = process.argv.slice(2);
// V8 flags for the command, set before its code loads (cli/processTuning.ts: this process only, never the library).
const { tuneProcessFor } = await import(tuning.href);
tuneProcessFor(argv);
const { main } = await import(entry.href);
process.exitCode = await main(argv);
