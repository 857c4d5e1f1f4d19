import type { RequestSample } from '@sluice/core';
import { ACCESS_LOG_OPTIONS_LOCATION, accessLogOptionsSchema, createAccessLogTail, type AccessLogTail } from '@sluice/adapters/nginx';
import { parseAdapterOptions } from '@sluice/adapters';
import type { Logger } from 'pino';

/**
 * The spec's `sources.accessLog`: per rollout, tail an nginx JSON access log (@sluice/adapters/nginx) and submit its
 * requests as samples through the same durable ingest path as the HTTP API. Options are those of
 * `createAccessLogTail` (docs/adapters/nginx.md "Access-log source").
 */
export interface AccessLogSourcesOptions {
  /** Submits one batch of samples for a rollout (IngestPipeline.submit); resolves once durable. */
  submit(rolloutId: string, windowMs: number, samples: RequestSample[]): Promise<unknown>;
  logger: Logger;
}

/** Validates `sources.accessLog`; throws SLUICE_E_ADAPTER_OPTIONS listing every problem with its path. */
export function validateAccessLogSource(config: Record<string, unknown> | undefined): void {
  if (config) parseAdapterOptions('nginx access-log', accessLogOptionsSchema, config, ACCESS_LOG_OPTIONS_LOCATION);
}

export class AccessLogSources {
  readonly #tails = new Map<string, AccessLogTail>();
  readonly #options: AccessLogSourcesOptions;

  constructor(options: AccessLogSourcesOptions) {
    this.#options = options;
  }

  start(rolloutId: string, config: Record<string, unknown>, windowMs: number): void {
    if (this.#tails.has(rolloutId)) return;
    const logger = this.#options.logger.child({ rolloutId, source: 'accessLog' });
    let tail: AccessLogTail;
    try {
      tail = createAccessLogTail(config as Parameters<typeof createAccessLogTail>[0], { info: (o, m) => logger.info(o, m), warn: (o, m) => logger.warn(o, m) });
    } catch (error) {
      logger.error({ err: error }, 'sources.accessLog is invalid; this rollout gets no samples from the access log');
      return;
    }
    tail.start(async (samples) => {
      try {
        await this.#options.submit(rolloutId, windowMs, samples);
      } catch (error) {
        logger.warn({ err: error, samples: samples.length }, 'access-log samples not ingested');
      }
    });
    this.#tails.set(rolloutId, tail);
    logger.info({ path: config.path }, 'tailing the access log');
  }

  async stop(rolloutId: string): Promise<void> {
    const tail = this.#tails.get(rolloutId);
    if (!tail) return;
    this.#tails.delete(rolloutId);
    await tail.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#tails.keys()].map((id) => this.stop(id)));
  }
}
