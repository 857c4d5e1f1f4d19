import { main, type CliIo } from '../cli/main.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the `sluice` CLI in-process with `argv` and returns its exit code and what it printed on stdout and stderr. */
export async function runCli(...argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (text) => void (out += text), err: (text) => void (err += text) };
  const code = await main(argv, io);
  return { code, out, err };
}
