import { Metadata, Server, ServerCredentials, status } from '@grpc/grpc-js';
import { GREETER_SERVICE } from '@sluice/adapters/envoy/testing';

/** One version of the Greeter service; `setFaulty(true)` makes it fail every call with UNAVAILABLE (a bad release). */
export interface GreeterService {
  version: string;
  port: number;
  setFaulty(faulty: boolean): void;
  close(): Promise<void>;
}

/**
 * A real gRPC server answering `Greet` as `version`. It names itself in the `x-version` trailer of every call, failed
 * ones included, so the client's interceptor can tell which version answered (gRPC gives an interceptor no way to see
 * which cluster its call was routed to).
 */
export async function startGreeter(version: string): Promise<GreeterService> {
  const server = new Server();
  let faulty = false;
  server.addService(GREETER_SERVICE, {
    Greet: (_call: unknown, callback: (error: { code: number; details: string; metadata: Metadata } | null, reply?: { version: string }, trailer?: Metadata) => void) => {
      const trailer = new Metadata();
      trailer.set('x-version', version);
      if (faulty) callback({ code: status.UNAVAILABLE, details: `${version} is failing`, metadata: trailer });
      else callback(null, { version }, trailer);
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return {
    version,
    port,
    setFaulty: (value) => void (faulty = value),
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
