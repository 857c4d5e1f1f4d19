import { credentials, makeGenericClientConstructor, type ClientWritableStream, type ServiceDefinition } from '@grpc/grpc-js';
import { accessLogServiceDefinition } from '../xdsServices.js';

export interface AlsClient {
  /** Envoy's side of StreamAccessLogs: write StreamAccessLogsMessage objects (or raw bytes with `raw`), then end. */
  stream: ClientWritableStream<unknown>;
  close(): void;
}

/**
 * A client of the access-log service as Envoy is one: a client stream of real protobuf StreamAccessLogsMessage. With
 * `raw`, written Buffers go on the wire as they are (to send a message that does not decode).
 */
export function alsClient(port: number, options: { raw?: boolean } = {}): AlsClient {
  const base = accessLogServiceDefinition();
  const definition: ServiceDefinition = options.raw ? { StreamAccessLogs: { ...base.StreamAccessLogs!, requestSerialize: (bytes: Buffer) => bytes } } : base;
  const Client = makeGenericClientConstructor(definition, 'AccessLogService');
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const stream = (client as unknown as { StreamAccessLogs(callback: (error: Error | null) => void): ClientWritableStream<unknown> }).StreamAccessLogs(() => undefined);
  return { stream, close: () => client.close() };
}
