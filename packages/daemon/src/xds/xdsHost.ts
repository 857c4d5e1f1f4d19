import { readFileSync } from 'node:fs';
import { SpecValidationError, type AnyStoredEvent, type EventLog, type RolloutSpec, type WeightState } from '@sluice/core';
import { envoyRouteSpec, startGrpcServer, XdsControlPlane, type GrpcServer, type GrpcServerHandle, type GrpcTls } from '@sluice/adapters/envoy';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config/daemonConfig.js';
import { formatListenAddress, isLoopbackHost, parseListenAddress } from '../config/listenAddress.js';
import { DaemonError } from '../errors.js';
import type { RolloutEntry, RolloutRuntime } from '../runtime/RolloutRuntime.js';

/**
 * The daemon's xDS server (`--xds-listen`): one gRPC server carrying the aggregated discovery service of the envoy
 * adapter (every envoy rollout's RouteConfiguration and resources) and the services sample sources add to it (Envoy's
 * access-log service). It attaches each envoy rollout when it is created, and at start every rollout of the log —
 * running or ended — at the weight the log says is in force, before it listens: a client never sees a partial set of
 * listeners or clusters (which state-of-the-world xDS reads as deletions) or a default weight after a restart.
 */
export class XdsHost {
  readonly plane: XdsControlPlane;
  readonly #config: DaemonConfig;
  readonly #logger: Logger;
  readonly #runtime: RolloutRuntime;
  readonly #services: ((server: GrpcServer) => void)[] = [];
  #handle: GrpcServerHandle | undefined;

  constructor(parts: { config: DaemonConfig; logger: Logger; runtime: RolloutRuntime }) {
    this.#config = parts.config;
    this.#logger = parts.logger.child({ component: 'xds' });
    this.#runtime = parts.runtime;
    const logger = this.#logger;
    this.plane = new XdsControlPlane({ logger: { info: (o, m) => logger.info(o, m), warn: (o, m) => logger.warn(o, m) } });
    parts.runtime.onCommitted((entry, events) => this.#onCommitted(entry, events));
  }

  /** Adds a service to the server (before start): the Envoy access-log service. */
  addService(register: (server: GrpcServer) => void): void {
    this.#services.push(register);
  }

  /** `host:port` bound, once started. */
  get address(): string | undefined {
    if (!this.#handle || !this.#config.xdsListen) return undefined;
    return formatListenAddress({ host: parseListenAddress(this.#config.xdsListen).host, port: this.#handle.port });
  }

  /**
   * Why an envoy rollout cannot be created now: its options or resources file (every problem), a RouteConfiguration a
   * running rollout owns, resources that conflict with another rollout's. Throws SpecValidationError (422).
   */
  checkSpec(spec: RolloutSpec): void {
    if (spec.adapter.type !== 'envoy') return;
    const { spec: route } = envoyRouteSpec(spec.adapter.options ?? {}, spec.id);
    const problems = this.plane.attachProblems(route);
    if (problems.length > 0) {
      throw new SpecValidationError(problems.map((message) => ({ path: 'adapter.options.routeConfiguration', message })), 'envoy adapter', 'SLUICE_E_ADAPTER_OPTIONS');
    }
  }

  /** What the log says is in force for a running rollout (the envoy adapter serves it until its first apply). */
  inForce(rolloutId: string): WeightState {
    const entry = this.#runtime.get(rolloutId);
    return entry ? inForceOf(entry) : { weightPercent: 0, generation: 0 };
  }

  /** Attaches every rollout of the log, then listens. */
  async start(log: EventLog): Promise<void> {
    this.#attachFromLog(log);
    const address = parseListenAddress(this.#config.xdsListen!);
    if (!isLoopbackHost(address.host) && !this.#config.allowNonLoopback) {
      throw new DaemonError(
        'SLUICE_E_LISTEN_NOT_LOOPBACK',
        `refusing to serve xDS on ${formatListenAddress(address)}: it is not a loopback address, so any machine that reaches it could read every route and ` +
          'cluster — pass --allow-non-loopback if that is what you want, with --xds-tls-cert/--xds-tls-key and --xds-tls-client-ca (mutual TLS)',
      );
    }
    const tls = this.#readTls();
    try {
      this.#handle = await startGrpcServer(formatListenAddress(address), tls, (server) => {
        this.plane.addTo(server);
        for (const register of this.#services) register(server);
      });
    } catch (error) {
      throw new DaemonError('SLUICE_E_CONFIG_INVALID', `cannot serve xDS on ${this.#config.xdsListen}: ${(error as Error).message} — pass another --xds-listen`, { cause: error });
    }
    this.#logger.info({ xdsListen: this.address, tls: tls === undefined ? 'off' : tls.clientCa ? 'mutual' : 'server' }, 'xDS server listening');
  }

  async stop(): Promise<void> {
    this.plane.close();
    await this.#handle?.close(500);
    this.#handle = undefined;
  }

  #readTls(): GrpcTls | undefined {
    const { xdsTlsCert, xdsTlsKey, xdsTlsClientCa } = this.#config;
    if (!xdsTlsCert || !xdsTlsKey) return undefined;
    const read = (file: string, flag: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (error) {
        throw new DaemonError('SLUICE_E_CONFIG_INVALID', `cannot read ${flag} ${file}: ${(error as Error).message}`, { cause: error });
      }
    };
    return {
      certChain: read(xdsTlsCert, '--xds-tls-cert'),
      privateKey: read(xdsTlsKey, '--xds-tls-key'),
      ...(xdsTlsClientCa ? { clientCa: read(xdsTlsClientCa, '--xds-tls-client-ca') } : {}),
    };
  }

  #onCommitted(entry: RolloutEntry, events: readonly AnyStoredEvent[]): void {
    if (entry.spec.adapter.type !== 'envoy') return;
    if (events.some((e) => e.type === 'rollout.created')) this.#attach(entry.id, entry.spec, inForceOf(entry), entry.session.view.terminal);
    if (entry.session.view.terminal) this.plane.markEnded(entry.id);
  }

  #attach(rolloutId: string, spec: RolloutSpec, inForce: WeightState, ended: boolean): void {
    if (this.plane.isAttached(rolloutId)) {
      if (ended) this.plane.markEnded(rolloutId);
      return;
    }
    try {
      const { spec: route } = envoyRouteSpec(spec.adapter.options ?? {}, rolloutId);
      this.plane.attach(route, inForce, { ended });
    } catch (error) {
      // A running rollout whose resources file became unreadable or conflicting since it was created: it is not served
      // (its clients keep what they hold) and its applies fail saying why, until the file is fixed.
      this.#logger.error({ rolloutId, err: error }, 'cannot serve the RouteConfiguration of this envoy rollout');
    }
  }

  /**
   * Rollouts in creation order: a later rollout of the same RouteConfiguration replaces an ended earlier one, so each
   * route is served at the weight its latest rollout left in force. Running rollouts come from the runtime; ended
   * ones are read from the log (their first event names the adapter, their last `weight.applied` the weight).
   */
  #attachFromLog(log: EventLog): void {
    for (const { rolloutId } of log.listRollouts()) {
      if (this.plane.isAttached(rolloutId)) continue;
      const entry = this.#runtime.get(rolloutId);
      if (entry) {
        if (entry.spec.adapter.type === 'envoy') this.#attach(rolloutId, entry.spec, inForceOf(entry), entry.session.view.terminal);
        continue;
      }
      let spec: RolloutSpec | undefined;
      let inForce: WeightState = { weightPercent: 0, generation: 0 };
      try {
        for (const event of log.readRecorded(rolloutId, 0)) {
          if (event.type === 'rollout.created') {
            spec = event.data.spec;
            if (spec.adapter.type !== 'envoy') break;
          } else if (event.type === 'weight.applied') inForce = { weightPercent: event.data.weightPercent, generation: event.data.generation };
        }
      } catch (error) {
        this.#logger.error({ rolloutId, err: error }, 'cannot read this rollout from the log; its RouteConfiguration is not served');
        continue;
      }
      if (spec?.adapter.type === 'envoy') this.#attach(rolloutId, spec, inForce, true);
    }
  }
}

/** What the log says is in force: the last verified weight (0 and generation 0 before the first apply). */
function inForceOf(entry: RolloutEntry): WeightState {
  const view = entry.session.view;
  return { weightPercent: view.appliedWeightPercent ?? 0, generation: view.appliedGeneration };
}
