import { addAdminServicesToServer, credentials, makeGenericClientConstructor, Server, ServerCredentials, type Client } from '@grpc/grpc-js';
import { decodeMessage, messageType } from '../protoRoot.js';
import { csdsServiceDefinition } from '../xdsServices.js';

/**
 * What the real gRPC xDS clients of this process hold, read through their own client status discovery service (CSDS,
 * grpc-js's admin services): per node id, per resource, its status (ACKED / NACKED / REQUESTED / DOES_NOT_EXIST),
 * version and configuration. grpc-js-xds registers every xDS client it creates; node ids tell them apart.
 */
export interface HeldResource {
  typeUrl: string;
  name: string;
  status: string;
  version: string;
  /** The ACKed configuration, decoded. */
  config: Record<string, unknown> | undefined;
  /** The client's error for a NACKed resource. */
  error: string | undefined;
}

export interface CsdsReader {
  /** Every resource the client with `nodeId` holds. */
  held(nodeId: string): Promise<HeldResource[]>;
  close(): Promise<void>;
}

export async function startCsdsReader(): Promise<CsdsReader> {
  const server = new Server();
  addAdminServicesToServer(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const Client = makeGenericClientConstructor(csdsServiceDefinition(), 'ClientStatusDiscoveryService');
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as Client & {
    FetchClientStatus(request: unknown, callback: (error: Error | null, response?: { config: Record<string, unknown>[] }) => void): void;
  };
  return {
    async held(nodeId) {
      const response = await new Promise<{ config: Record<string, unknown>[] }>((resolve, reject) => client.FetchClientStatus({}, (error, reply) => (error ? reject(error) : resolve(reply!))));
      const out: HeldResource[] = [];
      for (const config of response.config) {
        if ((config.node as { id?: string } | undefined)?.id !== nodeId) continue;
        for (const generic of (config.generic_xds_configs as Record<string, unknown>[]) ?? []) {
          // grpc-js-xds reports type URLs without the type.googleapis.com/ prefix.
          const typeUrl = String(generic.type_url).includes('/') ? String(generic.type_url) : `type.googleapis.com/${String(generic.type_url)}`;
          const type = messageType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
          const any = generic.xds_config as { value?: Buffer } | null;
          const errorState = generic.error_state as { details?: string } | null;
          out.push({
            typeUrl,
            name: String(generic.name),
            status: String(generic.client_status),
            version: String(generic.version_info),
            config: any?.value ? decodeMessage(type, any.value) : undefined,
            error: errorState?.details,
          });
        }
      }
      return out;
    },
    async close() {
      client.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

/** The weights (basis points by cluster name) of the first weighted route of a decoded RouteConfiguration. */
export function weightsOf(routeConfiguration: Record<string, unknown> | undefined): Record<string, number> {
  const hosts = (routeConfiguration?.virtual_hosts as Record<string, unknown>[] | undefined) ?? [];
  for (const host of hosts) {
    for (const route of (host.routes as Record<string, unknown>[] | undefined) ?? []) {
      const clusters = ((route.route as Record<string, unknown> | undefined)?.weighted_clusters as { clusters?: { name: string; weight?: { value?: number } }[] } | undefined)?.clusters;
      if (clusters) return Object.fromEntries(clusters.map((c) => [c.name, c.weight?.value ?? 0]));
    }
  }
  return {};
}
