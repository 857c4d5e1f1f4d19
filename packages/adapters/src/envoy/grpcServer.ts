import type { Server } from '@grpc/grpc-js';
import { grpcJs } from './lazyDependencies.js';

export interface GrpcTls {
  /** PEM certificate chain the server presents. */
  certChain: Buffer;
  /** PEM private key of that certificate. */
  privateKey: Buffer;
  /** PEM CA bundle: when given, clients must present a certificate it signed (mutual TLS). */
  clientCa?: Buffer;
}

export interface GrpcServerHandle {
  readonly server: Server;
  /** The port bound (the real one when 0 was asked). */
  readonly port: number;
  /** Stops accepting, lets calls end for up to `graceMs`, then cuts what is left. */
  close(graceMs?: number): Promise<void>;
}

/** Largest message either side may send: xDS responses with every resource of a big file fit well within it. */
export const GRPC_MESSAGE_BYTES_MAX = 16 * 1024 * 1024;

/**
 * Starts a gRPC server on `listen` (`host:port`, IPv6 as `[::1]:port`) with the services `register` adds, over TLS
 * when `tls` is given (and mutual TLS when it has a client CA), otherwise in plain text. Limits are explicit.
 */
export async function startGrpcServer(listen: string, tls: GrpcTls | undefined, register: (server: Server) => void): Promise<GrpcServerHandle> {
  const { Server, ServerCredentials } = grpcJs();
  const server = new Server({
    'grpc.max_receive_message_length': GRPC_MESSAGE_BYTES_MAX,
    'grpc.max_send_message_length': GRPC_MESSAGE_BYTES_MAX,
    // Dead clients are found within a minute; clients may ping every 10 s without being told off.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  });
  register(server);
  const credentials = tls
    ? ServerCredentials.createSsl(tls.clientCa ?? null, [{ cert_chain: tls.certChain, private_key: tls.privateKey }], tls.clientCa !== undefined)
    : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(listen, credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
  return {
    server,
    port,
    close: (graceMs = 1_000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
