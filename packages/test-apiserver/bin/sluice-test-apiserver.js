#!/usr/bin/env node
// The `sluice-test-apiserver` binary. It runs the compiled server; `pnpm run build` at the repository root produces it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('sluice-test-apiserver: not built yet — run `npx -y pnpm@10.34.8 run build` at the repository root first.\n');
  process.exit(70);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
