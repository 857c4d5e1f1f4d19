import type { RequestSample, RolloutSpec } from '@sluice/core';
import { SpecValidationError } from '@sluice/core';
import {
  accessLogServiceDefinition,
  createEnvoyAccessLogTail,
  httpEntryToSample,
  parseEnvoyAccessLogOptions,
  type AccessLogTail,
  type EnvoyAccessLogConfig,
  type GrpcServer,
} from '@sluice/adapters/envoy';
import type { Logger } from 'pino';
import type { XdsHost } from '../xds/xdsHost.js';

/** Sample batches from the gRPC service waiting to be made durable at most; past it, batches are dropped and counted. */
export const ALS_PENDING_BATCHES_MAX = 64;
/** Entries of one access-log message at most (Envoy batches by bytes, ~16 KiB by default). */
export const ALS_ENTRIES_PER_MESSAGE_MAX = 100_000;

export interface EnvoyAccessLogCounters {
  streams: number;
  messages: number;
  entries: number;
  samples: number;
  /** Entries whose upstream cluster is no rollout's baseline or candidate (counted and ignored). */
  unknownCluster: number;
  /** Messages that did not decode and entries without what a sample needs (counted, never fatal). */
  malformed: number;
  /** Sample batches dropped because ingestion was behind (the access-log service is lossy by Envoy's design). */
  dropped: number;
}

/**
 * Where a rollout's `sources.envoyAccessLog` options are checked at creation: clusters default to the envoy adapter's,
 * and without `path` the entries come over gRPC, which needs the daemon's xDS server. Throws SpecValidationError.
 */
export function validateEnvoyAccessLogSource(spec: RolloutSpec, xdsEnabled: boolean): void {
  const input = spec.sources.envoyAccessLog;
  if (!input) return;
  const config = parseEnvoyAccessLogOptions(input, adapterClusters(spec));
  if (!config.path && !xdsEnabled) {
    throw new SpecValidationError(
      [{ path: 'sources.envoyAccessLog.path', message: 'without path the entries come over Envoy\'s gRPC access-log service, which the daemon serves on --xds-listen: start it with --xds-listen HOST:PORT, or give the JSON file access log\'s path' }],
      'sources.envoyAccessLog (Envoy access-log source)',
      'SLUICE_E_ADAPTER_OPTIONS',
    );
  }
}

function adapterClusters(spec: RolloutSpec): { stableCluster?: unknown; canaryCluster?: unknown } | undefined {
  return spec.adapter.type === 'envoy' ? (spec.adapter.options as { stableCluster?: unknown; canaryCluster?: unknown }) : undefined;
}

/**
 * The spec's `sources.envoyAccessLog`, per rollout: a JSON file access log tailed with the shared tail, or entries of
 * Envoy's gRPC access-log service (envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs, on the xDS server),
 * routed to every rollout whose clusters they name. Samples go through the same durable ingest path as the HTTP API.
 */
export class EnvoyAccessLogSources {
  readonly counters: EnvoyAccessLogCounters = { streams: 0, messages: 0, entries: 0, samples: 0, unknownCluster: 0, malformed: 0, dropped: 0 };
  readonly #tails = new Map<string, AccessLogTail>();
  readonly #grpc = new Map<string, { config: EnvoyAccessLogConfig; windowMs: number }>();
  readonly #submit: (rolloutId: string, windowMs: number, samples: RequestSample[]) => Promise<unknown>;
  readonly #logger: Logger;
  #pending = 0;

  constructor(parts: { submit(rolloutId: string, windowMs: number, samples: RequestSample[]): Promise<unknown>; logger: Logger; xds?: XdsHost | undefined }) {
    this.#submit = parts.submit;
    this.#logger = parts.logger.child({ source: 'envoyAccessLog' });
    parts.xds?.addService((server: GrpcServer) =>
      server.addService(accessLogServiceDefinition(), {
        StreamAccessLogs: (call: NodeJS.EventEmitter & { getPeer(): string }, callback: (error: null, response: Record<string, never>) => void) => this.#accept(call, callback),
      }),
    );
  }

  start(rolloutId: string, spec: RolloutSpec): void {
    const input = spec.sources.envoyAccessLog;
    if (!input || this.#tails.has(rolloutId) || this.#grpc.has(rolloutId)) return;
    const logger = this.#logger.child({ rolloutId });
    let config: EnvoyAccessLogConfig;
    try {
      config = parseEnvoyAccessLogOptions(input, adapterClusters(spec));
    } catch (error) {
      logger.error({ err: error }, 'sources.envoyAccessLog is invalid; this rollout gets no samples from Envoy');
      return;
    }
    if (!config.tail) {
      this.#grpc.set(rolloutId, { config, windowMs: spec.window });
      logger.info({ logName: config.logName ?? '(any)', clusters: [...config.baselineClusters, ...config.candidateClusters] }, 'taking Envoy access-log entries over gRPC');
      return;
    }
    const tail = createEnvoyAccessLogTail(config, { info: (o, m) => logger.info(o, m), warn: (o, m) => logger.warn(o, m) });
    tail.start(async (samples) => {
      try {
        await this.#submit(rolloutId, spec.window, samples);
      } catch (error) {
        logger.warn({ err: error, samples: samples.length }, 'Envoy access-log samples not ingested');
      }
    });
    this.#tails.set(rolloutId, tail);
    logger.info({ path: config.path }, 'tailing the Envoy access log');
  }

  async stop(rolloutId: string): Promise<void> {
    this.#grpc.delete(rolloutId);
    const tail = this.#tails.get(rolloutId);
    if (!tail) return;
    this.#tails.delete(rolloutId);
    await tail.stop();
  }

  async stopAll(): Promise<void> {
    this.#grpc.clear();
    await Promise.all([...this.#tails.keys()].map((id) => this.stop(id)));
  }

  #accept(call: NodeJS.EventEmitter & { getPeer(): string }, callback: (error: null, response: Record<string, never>) => void): void {
    this.counters.streams++;
    // Only the first message of a stream carries the identifier (node and log name).
    let logName: string | undefined;
    let ended = false;
    call.on('data', (message: Record<string, unknown>) => {
      this.counters.messages++;
      if ('malformed' in message) {
        this.#countMalformed(`message does not decode: ${String(message.malformed)}`, call.getPeer());
        return;
      }
      const identifier = message.identifier as { log_name?: string } | null | undefined;
      if (identifier?.log_name) logName = identifier.log_name;
      const entries = ((message.http_logs as { log_entry?: Record<string, unknown>[] } | null | undefined)?.log_entry ?? []).slice(0, ALS_ENTRIES_PER_MESSAGE_MAX);
      if (entries.length > 0) this.#ingest(logName, entries);
    });
    const finish = (): void => {
      if (ended) return;
      ended = true;
      callback(null, {});
    };
    call.on('end', finish);
    call.on('error', () => (ended = true));
  }

  #ingest(logName: string | undefined, entries: Record<string, unknown>[]): void {
    this.counters.entries += entries.length;
    const batches = new Map<string, RequestSample[]>();
    for (const entry of entries) {
      let matched = false;
      let malformed: string | undefined;
      for (const [rolloutId, { config }] of this.#grpc) {
        if (config.logName !== undefined && config.logName !== logName) continue;
        const result = httpEntryToSample(entry, config);
        if (result.kind === 'sample') {
          matched = true;
          let batch = batches.get(rolloutId);
          if (!batch) batches.set(rolloutId, (batch = []));
          batch.push(result.sample);
        } else if (result.kind === 'malformed') malformed = result.reason;
      }
      if (matched) this.counters.samples++;
      else if (malformed !== undefined) this.#countMalformed(malformed);
      else this.counters.unknownCluster++;
    }
    for (const [rolloutId, samples] of batches) {
      const target = this.#grpc.get(rolloutId);
      if (!target) continue;
      if (this.#pending >= ALS_PENDING_BATCHES_MAX) {
        this.counters.dropped++;
        if (this.counters.dropped === 1 || this.counters.dropped % 1_000 === 0) this.#logger.warn({ rolloutId, dropped: this.counters.dropped }, 'ingestion is behind; Envoy access-log samples dropped');
        continue;
      }
      this.#pending++;
      this.#submit(rolloutId, target.windowMs, samples)
        .catch((error: unknown) => this.#logger.warn({ rolloutId, err: error, samples: samples.length }, 'Envoy access-log samples not ingested'))
        .finally(() => this.#pending--);
    }
  }

  #countMalformed(reason: string, peer?: string): void {
    this.counters.malformed++;
    if (this.counters.malformed <= 5 || this.counters.malformed % 1_000 === 0) this.#logger.warn({ malformed: this.counters.malformed, reason, peer }, 'malformed Envoy access-log entry skipped');
  }
}
