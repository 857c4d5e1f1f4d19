import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A small service standing in for one version: answers its name, or 500 while `faulty`. */
export interface Service {
  name: string;
  address: string;
  setFaulty(faulty: boolean): void;
  close(): Promise<void>;
}

export async function startService(name: string): Promise<Service> {
  let faulty = false;
  const server: Server = createServer((request, response) => {
    request.resume();
    response.writeHead(faulty ? 500 : 200, { 'content-type': 'text/plain' });
    response.end(faulty ? `${name}: injected fault\n` : `${name}\n`);
  });
  // Longer than nginx's upstream keepalive_timeout (60 s), so nginx, not the service, closes idle connections.
  server.keepAliveTimeout = 75_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    setFaulty: (f) => void (faulty = f),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
