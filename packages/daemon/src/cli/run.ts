// Runs the CLI from TypeScript sources (tests spawn it with `node --conditions=sluice-source --import tsx run.ts`).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
