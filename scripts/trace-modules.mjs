// Prints every module a Node process resolves, one `RESOLVED <url>` line each on stderr, to see what a command loads:
//   node --conditions=sluice-source --import tsx --import ./scripts/trace-modules.mjs packages/daemon/src/cli/run.ts --help
// The start-up tests (cli/startup.int.test.ts, replay/replayEntry.int.test.ts) read these lines (docs/startup.md).
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  process._rawDebug('RESOLVED ' + result.url);
  return result;
}`),
);
