import { credentials, makeGenericClientConstructor, type ChannelCredentials, type ClientDuplexStream } from '@grpc/grpc-js';
import { decodeMessage, messageType } from '../protoRoot.js';
import { adsServiceDefinition } from '../xdsServices.js';

/**
 * A hand-driven ADS client for protocol tests that need what a real client does not do on demand: answer with a stale
 * nonce, hold an ACK back, NACK a valid response, disconnect in the middle of an update. Every wait is bounded.
 */
export interface RawResponse {
  version_info: string;
  nonce: string;
  type_url: string;
  /** Decoded resources (snake_case), Any values expanded. */
  resources: Record<string, unknown>[];
}

export interface RawAdsClient {
  request(request: { typeUrl: string; names?: string[]; nonce?: string; version?: string; errorMessage?: string }): void;
  /** The next response (of `typeUrl`, skipping others), or rejects after `timeoutMs`. */
  next(typeUrl?: string, timeoutMs?: number): Promise<RawResponse>;
  /** Responses received and not taken yet. */
  readonly pending: number;
  close(): void;
}

export function rawAdsClient(port: number, nodeId: string, channelCredentials: ChannelCredentials = credentials.createInsecure(), host = '127.0.0.1'): RawAdsClient {
  const Client = makeGenericClientConstructor(adsServiceDefinition(), 'AggregatedDiscoveryService');
  const client = new Client(`${host}:${port}`, channelCredentials);
  const call = (client as unknown as { StreamAggregatedResources(): ClientDuplexStream<unknown, Record<string, unknown>> }).StreamAggregatedResources();
  const queue: RawResponse[] = [];
  const waiters: (() => void)[] = [];
  let sentNode = false;
  call.on('data', (response: Record<string, unknown>) => {
    const typeUrl = String(response.type_url);
    const type = messageType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
    const resources = (response.resources as { value: Buffer }[]).map((any) => decodeMessage(type, any.value));
    queue.push({ version_info: String(response.version_info), nonce: String(response.nonce), type_url: typeUrl, resources });
    for (const wake of waiters.splice(0)) wake();
  });
  let failure: Error | undefined;
  call.on('error', (error: Error) => {
    failure = error;
    for (const wake of waiters.splice(0)) wake();
  });
  const take = (typeUrl?: string): RawResponse | undefined => {
    const index = queue.findIndex((r) => typeUrl === undefined || r.type_url === typeUrl);
    return index === -1 ? undefined : queue.splice(index, 1)[0];
  };
  return {
    request({ typeUrl, names = [], nonce = '', version = '', errorMessage }) {
      call.write({
        ...(sentNode ? {} : { node: { id: nodeId, cluster: 'raw-tests' } }),
        type_url: typeUrl,
        resource_names: names,
        response_nonce: nonce,
        version_info: version,
        ...(errorMessage ? { error_detail: { code: 3, message: errorMessage } } : {}),
      });
      sentNode = true;
    },
    async next(typeUrl, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = take(typeUrl);
        if (found) return found;
        if (failure) throw failure;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${typeUrl ?? 'xDS'} response within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    get pending() {
      return queue.length;
    },
    close() {
      call.cancel();
      client.close();
    },
  };
}
