// Runs the bin from the TypeScript sources (tests and examples: `tsx --conditions=sluice-source src/run.ts …`).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
