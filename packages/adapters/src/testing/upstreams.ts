import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** A tiny HTTP service answering its name; `failing` makes it answer 500. Tests and examples use it as an upstream. */
export interface NamedUpstream {
  name: string;
  address: string;
  server: Server;
  setFailing(failing: boolean): void;
  close(): Promise<void>;
}

export async function startNamedUpstream(name: string): Promise<NamedUpstream> {
  let failing = false;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(failing ? 500 : 200, { 'content-type': 'text/plain', 'x-upstream': name });
      response.end(name);
    });
  });
  server.keepAliveTimeout = 75_000; // longer than nginx's upstream keepalive_timeout (60 s)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    setFailing: (f) => void (failing = f),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Runs scripts/ensure-nginx.sh (installs Debian's nginx when missing) and returns the binary it found. */
export function ensureNginx(timeoutMs = 240_000): Promise<string> {
  const script = fileURLToPath(new URL('../../../../scripts/ensure-nginx.sh', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile('sh', [script], { timeout: timeoutMs }, (error, stdout, stderr) =>
      error ? reject(new Error(`ensure-nginx.sh failed: ${stderr || error.message}`)) : resolve(stdout.trim().split('\n').pop() ?? 'nginx'),
    );
  });
}
