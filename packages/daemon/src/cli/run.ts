// Runs the CLI from TypeScript sources (tests spawn it with `node --conditions=sluice-source --import tsx run.ts`),
// as bin/sluice.js runs the compiled one: V8 flags for the command first, then the command.
import { tuneProcessFor } from './processTuning.js';

const argv = process.argv.slice(2);
tuneProcessFor(argv);
const { main } = await import('./main.js');
process.exitCode = await main(argv);
