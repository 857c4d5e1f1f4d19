// Runs the `sluice` CLI from the workspace sources (the example needs no build step).
import { main } from '@sluice/daemon';

process.exitCode = await main(process.argv.slice(2));
