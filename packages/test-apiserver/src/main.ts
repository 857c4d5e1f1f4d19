import { writeFile } from 'node:fs/promises';
import { startTestApiServer, type TestApiServer } from './apiServer.js';

const USAGE = `usage: sluice-test-apiserver --listen 127.0.0.1:PORT --kubeconfig-out FILE [--namespace NS] [--token TOKEN] [--watch-history N]

A strict Kubernetes API server for tests (HTTPRoute, VirtualService, Ingress) on loopback. Port 0 picks a free one.
Prints "listening on http://HOST:PORT" as its first line, writes a kubeconfig for itself to FILE, runs until SIGTERM.
Faults: PUT ${'/sluice-test/v1/faults'} with the token (see docs/adapters/kubernetes.md).
`;

interface Flags {
  host: string;
  port: number;
  kubeconfigOut: string;
  namespace: string;
  token?: string;
  watchHistoryMax?: number;
}

/** Parses the command line; every problem at once. */
export function parseFlags(argv: readonly string[]): Flags | { problems: string[] } {
  const problems: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const known = ['--listen', '--kubeconfig-out', '--namespace', '--token', '--watch-history'];
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!known.includes(name)) {
      problems.push(`unknown argument "${arg}"`);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) problems.push(`${name} needs a value`);
    else values.set(name, value);
  }
  const listen = values.get('--listen');
  const match = listen === undefined ? null : /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]):(\d{1,5})$/.exec(listen);
  if (listen === undefined) problems.push('--listen is required (e.g. --listen 127.0.0.1:0)');
  else if (!match || Number(match[2]) > 65_535) problems.push(`--listen must be a loopback address and port, e.g. 127.0.0.1:0 (got "${listen}")`);
  const kubeconfigOut = values.get('--kubeconfig-out');
  if (kubeconfigOut === undefined || kubeconfigOut === '') problems.push('--kubeconfig-out is required (the file to write the kubeconfig to)');
  const namespace = values.get('--namespace') ?? 'default';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) problems.push(`--namespace must be a DNS label (got "${namespace}")`);
  const history = values.get('--watch-history');
  if (history !== undefined && !(/^\d+$/.test(history) && Number(history) >= 1 && Number(history) <= 1_000_000)) problems.push(`--watch-history must be an integer within 1–1000000 (got "${history}")`);
  const token = values.get('--token');
  if (token !== undefined && !/^[\x21-\x7e]{8,256}$/.test(token)) problems.push('--token must be 8–256 printable characters without spaces');
  if (problems.length > 0 || !match || kubeconfigOut === undefined) return { problems };
  const host = match[1] === '[::1]' ? '::1' : match[1]!;
  return { host, port: Number(match[2]), kubeconfigOut, namespace, ...(token ? { token } : {}), ...(history ? { watchHistoryMax: Number(history) } : {}) };
}

/** The bin: starts the server, writes the kubeconfig, prints the address, and stops on SIGTERM or SIGINT. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const flags = parseFlags(argv);
  if ('problems' in flags) {
    process.stderr.write(flags.problems.map((p) => `sluice-test-apiserver: ${p}\n`).join('') + USAGE);
    return 2;
  }
  let server: TestApiServer;
  try {
    server = await startTestApiServer({ host: flags.host, port: flags.port, ...(flags.token ? { token: flags.token } : {}), ...(flags.watchHistoryMax ? { watchHistoryMax: flags.watchHistoryMax } : {}) });
  } catch (error) {
    process.stderr.write(`sluice-test-apiserver: cannot listen on ${flags.host}:${flags.port}: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    await writeFile(flags.kubeconfigOut, server.kubeconfig(flags.namespace), { mode: 0o600 });
  } catch (error) {
    await server.close();
    process.stderr.write(`sluice-test-apiserver: cannot write the kubeconfig to ${flags.kubeconfigOut}: ${(error as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve());
  });
  await server.close();
  return 0;
}
