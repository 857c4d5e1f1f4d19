// Preloaded into a measured process (`node --require cpuAtExit.cjs …`): prints the CPU time the whole process used
// (user + system, every thread: the JIT and GC helpers too) as its last line on stderr, for cliStartup.bench.ts.
'use strict';
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  process.stderr.write(`\nsluice-bench-cpu-ms ${((user + system) / 1000).toFixed(1)}\n`);
});
