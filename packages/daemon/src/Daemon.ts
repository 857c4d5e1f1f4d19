import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { EventLog, isSluiceError, readChainKeyFile, SampleRecorder, SluiceError, type TrafficAdapter } from '@sluice/core';
import { createAdapter } from '@sluice/adapters';
import type { Logger } from 'pino';
import { assertListenAllowed, formatListenAddress, parseListenAddress } from './config/listenAddress.js';
import type { DaemonConfig } from './config/daemonConfig.js';
import { DaemonError } from './errors.js';
import { createApiServer } from './http/apiServer.js';
import { BearerAuth } from './http/auth.js';
import { apiRoutes } from './http/routes.js';
import { IngestJournal } from './ingest/IngestJournal.js';
import { IngestPipeline } from './ingest/IngestPipeline.js';
import { createDaemonMetrics, type DaemonMetrics } from './metrics/daemonMetrics.js';
import { ApprovalChecker } from './notify/approvalChecker.js';
import { WebhookNotifier } from './notify/webhookNotifier.js';
import { EventReactions } from './runtime/eventReactions.js';
import { HealthProber } from './sources/healthProber.js';
import { PrometheusPoller, SkippedWindow } from './sources/prometheusPoller.js';
import { prometheusSourceOf } from './sources/prometheusSource.js';
import { AccessLogSources } from './sources/accessLogSource.js';
import { EnvoyAccessLogSources } from './sources/envoyAccessLogSource.js';
import { logDecisions } from './runtime/decisionLog.js';
import { EventBus } from './runtime/EventBus.js';
import { Reconciler } from './runtime/Reconciler.js';
import { recover, type RecoveryReport } from './runtime/recovery.js';
import { checkAtStart, describeBroken, verifyInBackground, type IntegrityReport } from './runtime/logIntegrity.js';
import { RolloutRuntime, type AdapterFactory, type RolloutEntry } from './runtime/RolloutRuntime.js';
import { RolloutService } from './runtime/RolloutService.js';
import { Scheduler } from './runtime/Scheduler.js';
import { XdsHost } from './xds/xdsHost.js';
import { checkEnvoySpec } from './xds/checkEnvoySpec.js';

export interface DaemonOptions {
  config: DaemonConfig;
  token: string;
  logger: Logger;
  /** Clock; default Date.now. */
  now?: () => number;
  /** Adapter factory; default `createAdapter` of @sluice/adapters for the spec's `adapter` section. */
  createAdapter?: AdapterFactory;
  /** Include process metrics (CPU, memory, event loop) in /metrics; default true. */
  processMetrics?: boolean;
  /** Called on an unrecoverable failure (journal write); default: exit the process with code 70. */
  onFatal?: (error: unknown) => void;
  /** How long an ended rollout's per-rollout series stay on /metrics, ms; default ENDED_SERIES_RETENTION_MS. */
  endedSeriesRetentionMs?: number;
}

/**
 * How long an ended rollout's series (phase, weights, gate verdicts) stay on /metrics after it ended, so that scrapes
 * and alerts see its final phase; then they are removed, so the series of a long-running daemon do not grow with
 * every rollout it ever ran (and `rolloutsMax` is not used up by ended rollouts).
 */
export const ENDED_SERIES_RETENTION_MS = 10 * 60_000;

/** How long `stop` waits for requests in flight before closing their connections, ms. */
export const STOP_DRAIN_MS_MAX = 2_000;

/**
 * A --db the daemon cannot use — not a Sluice log, damaged, held by another writer, keyed with another key — is a
 * configuration error (exit 2) carrying the log's own message (what and where), never a stack trace; the daemon never
 * overwrites such a file.
 */
const REFUSED_LOG_CODES = new Set(['SLUICE_E_LOG_SCHEMA', 'SLUICE_E_LOG_CORRUPT', 'SLUICE_E_LOG_LOCKED', 'SLUICE_E_CHAIN_KEY']);

function refuseLogAs<T>(open: () => T): T {
  try {
    return open();
  } catch (error) {
    if (isSluiceError(error) && REFUSED_LOG_CODES.has(error.code)) throw new DaemonError('SLUICE_E_CONFIG_INVALID', error.message, { cause: error });
    throw error;
  }
}

function defaultOnFatal(): void {
  process.exit(70);
}

/**
 * One daemon: one SQLite file, many rollouts. Start order: open the log and the journal, listen (so /healthz answers
 * and /readyz says 503), recover every rollout, start the scheduler, then ready. Stop order is the reverse, and every
 * queued sample batch is committed before the files close.
 */
export class Daemon {
  readonly log: EventLog;
  readonly runtime: RolloutRuntime;
  readonly scheduler: Scheduler;
  readonly pipeline: IngestPipeline;
  readonly recorder: SampleRecorder;
  readonly metrics: DaemonMetrics;
  readonly #notifier: WebhookNotifier;
  readonly #approvals: ApprovalChecker;
  readonly #reactions: EventReactions;
  readonly #journal: IngestJournal;
  readonly #reconciler: Reconciler;
  readonly #prober: HealthProber;
  readonly #poller: PrometheusPoller;
  readonly #accessLogs: AccessLogSources;
  readonly #envoyAccessLogs: EnvoyAccessLogSources;
  /** The xDS server of the envoy adapter (`--xds-listen`), if configured. */
  readonly #xds: XdsHost | undefined;
  readonly #server: Server;
  readonly #logger: Logger;
  #ready = false;
  /** Rollouts whose end has been handled (recorder dropped, sources stopped). */
  readonly #ended = new Set<string>();
  /** Removal of ended rollouts' series, pending their retention. */
  readonly #seriesRemovals = new Map<string, NodeJS.Timeout>();
  readonly #endedSeriesRetentionMs: number;
  readonly #now: () => number;
  #recovery: RecoveryReport | undefined;
  /** Why writes are refused: the daemon runs --read-only, or its log failed verification. Undefined while writable. */
  #readOnlyReason: string | undefined;
  /** What the start-up and background verifications found (logIntegrity.ts). */
  #integrity: IntegrityReport | undefined;
  #backgroundVerify: { cancel(): void } | undefined;
  readonly #config: DaemonConfig;

  private constructor(options: DaemonOptions) {
    const { config, logger } = options;
    const now = options.now ?? Date.now;
    this.#now = now;
    this.#endedSeriesRetentionMs = options.endedSeriesRetentionMs ?? ENDED_SERIES_RETENTION_MS;
    this.#logger = logger;
    try {
      mkdirSync(dirname(config.db), { recursive: true });
    } catch (error) {
      throw new DaemonError('SLUICE_E_CONFIG_INVALID', `cannot create the directory of --db ${config.db}: ${(error as Error).message} — pass a --db path in a directory the daemon can write`, { cause: error });
    }
    this.#config = config;
    this.#readOnlyReason = config.readOnly ? 'the daemon runs --read-only for inspection: writes are refused; restart it without --read-only to write' : undefined;
    const chainKey = config.chainKeyFile === undefined ? undefined : refuseLogAs(() => readChainKeyFile(config.chainKeyFile!));
    // The log first: it takes the writer lock (one writer per log), migrates the file and marks it as a Sluice log
    // before the journal adds its table. --read-only takes no lock: it writes nothing, beside a running daemon too.
    this.log = refuseLogAs(() => EventLog.open(config.db, { readonly: config.readOnly, writer: 'sluice daemon', ...(chainKey ? { chainKey } : {}) }));
    try {
      // A keyed log read without its key (--read-only): the journal's seals cannot be checked, rather than all forged.
      this.#journal = IngestJournal.open(config.db, { readOnly: config.readOnly, logKeyed: this.log.chainInfo().keyId !== undefined, ...(chainKey ? { chainKey } : {}) });
    } catch (error) {
      this.log.close();
      throw error;
    }
    this.recorder = new SampleRecorder();
    this.metrics = createDaemonMetrics({
      processMetrics: options.processMetrics ?? true,
      // Active rollouts are in memory; ended ones are counted from the log's lifecycle index at each scrape.
      rolloutCounts: () => {
        let active = 0;
        for (const entry of this.runtime.entries()) if (!entry.session.view.terminal) active++;
        return { active, ended: this.log.rolloutCounts().ended };
      },
    });
    const metrics = this.metrics;
    this.#notifier = new WebhookNotifier({ logger, onOutcome: (outcome) => metrics.countWebhookDelivery(outcome.result) });
    this.#approvals = new ApprovalChecker({
      logger,
      onApproved: (result) => {
        if (this.runtime.get(result.rolloutId)?.session.view.phase !== 'awaitingApproval') return;
        this.runtime.command(result.rolloutId, 'approve', now(), `webhook:${result.webhook}`, `approval webhook answered ${result.detail}`);
      },
    });
    this.#reactions = new EventReactions(metrics, this.#notifier, this.#approvals);
    const bus = new EventBus();
    this.runtime = new RolloutRuntime(this.log, bus, logger);
    const runtime = this.runtime;
    this.pipeline = new IngestPipeline(this.#journal, this.recorder, {
      closedBeforeAt: () => this.scheduler.closedBeforeAt,
      acceptsSamples: (rolloutId) => runtime.get(rolloutId)?.session.view.terminal === false,
      onCommitted: (stats) => {
        metrics.countSamples(stats.samples, stats.rejected);
        for (let i = 0; i < stats.batches; i++) metrics.countBatch(i < stats.batchesRefused ? 'rejected' : 'accepted');
      },
      onJournalFailure: (error) => {
        logger.fatal({ err: error }, 'ingest journal write failed; stopping (fail-stop) so that no unacknowledged sample is judged');
        (options.onFatal ?? defaultOnFatal)(error);
      },
    });
    this.#xds = config.xdsListen ? new XdsHost({ config, logger, runtime }) : undefined;
    const xds = this.#xds;
    const adapterFactory: AdapterFactory = options.createAdapter ?? ((rollout) => createAdapter(rollout.spec.adapter, { rolloutId: rollout.id, logger: logger.child({ rolloutId: rollout.id }), ...(xds ? { xds: xds.plane, inForce: xds.inForce(rollout.id) } : {}) }));
    this.#reconciler = new Reconciler(
      runtime,
      { applyTimeoutMs: config.applyTimeoutMs, applyAttemptsMax: config.applyAttemptsMax, readBackIntervalMs: config.readBackIntervalMs, now,
        createAdapter: adapterFactory,
        metrics: {
          applyFinished: (rolloutId, ok, durationMs) => metrics.observeApply(runtime.get(rolloutId)?.spec.adapter.type ?? 'unknown', ok ? 'applied' : 'failed', durationMs / 1000),
          driftDetected: (rolloutId) => logger.warn({ rolloutId }, 'drift detected'),
          rollbackUnapplied: (rolloutId, unapplied) => metrics.setRollbackUnapplied(rolloutId, unapplied),
        },
      },
      logger,
    );
    this.scheduler = new Scheduler(
      { runtime, windows: this.recorder, pipeline: this.pipeline, journal: this.#journal, reconciler: this.#reconciler },
      { tickMs: config.tickMs, windowGraceMs: config.windowGraceMs, now },
      logger,
    );
    this.#prober = new HealthProber({
      onResult: (rolloutId, data, at) => {
        metrics.countHealthProbe(data.ok);
        if (runtime.get(rolloutId)?.session.view.terminal !== false) return;
        try {
          runtime.ingest(rolloutId, { type: 'health.checked', at, data });
        } catch (error) {
          logger.error({ rolloutId, err: error }, 'cannot record health-check result');
        }
      },
    });
    this.#accessLogs = new AccessLogSources({
      logger,
      submit: (rolloutId, windowMs, samples) => this.pipeline.submit({ kind: 'samples', rolloutId, windowMs, samples: samples.map((s, i) => ({ line: i + 1, ...s })) }),
    });
    this.#envoyAccessLogs = new EnvoyAccessLogSources({
      logger,
      xds: this.#xds,
      submit: (rolloutId, windowMs, samples) => this.pipeline.submit({ kind: 'samples', rolloutId, windowMs, samples: samples.map((s, i) => ({ line: i + 1, ...s })) }),
    });
    // Windows pulled from Prometheus are already durable there: they are appended as they arrive, not journaled.
    this.#poller = new PrometheusPoller({
      onWindow: (rolloutId, data, at) => {
        metrics.countPulledWindow('ok');
        if (runtime.get(rolloutId)?.session.view.terminal !== false) return;
        try {
          runtime.ingest(rolloutId, { type: 'samples.window', at, data });
        } catch (error) {
          logger.error({ rolloutId, err: error }, 'cannot record the window pulled from Prometheus');
        }
      },
      onError: (rolloutId, error, window) => {
        const skippedWindow = error instanceof SkippedWindow;
        metrics.countPulledWindow(skippedWindow ? 'skipped' : 'error', (error as { code?: string }).code);
        logger.warn({ rolloutId, err: error, windowStartAt: window.windowStartAt }, 'Prometheus window not read; it counts as no data');
      },
    });
    runtime.onCommitted((entry, events) => this.#onCommitted(entry, events));
    // An ended rollout that leaves memory (its final weight verified) is forgotten here too: memory does not grow with history.
    runtime.onReleased((rolloutId) => this.#ended.delete(rolloutId));
    const service = new RolloutService({
      runtime,
      pipeline: this.pipeline,
      log: this.log,
      now,
      windowMsMin: config.windowMsMin,
      checkSpec: (spec) => checkEnvoySpec(spec, xds),
    });
    service.refuseWritesWhen(() => (this.#readOnlyReason === undefined ? undefined : new SluiceError('SLUICE_E_LOG_READ_ONLY', this.#readOnlyReason)));
    this.#server = createApiServer({
      routes: apiRoutes({
        service,
        log: this.log,
        bus,
        limits: { jsonBodyBytesMax: config.jsonBodyBytesMax, sampleBodyBytesMax: config.sampleBodyBytesMax },
        renderMetrics: () => metrics.render(),
        isReady: () => this.#ready,
        recovery: () => (this.#recovery === undefined ? undefined : { ...this.#recovery, readOnly: this.#readOnlyReason !== undefined, integrity: this.#integrity }),
        readOnlyReason: () => this.#readOnlyReason,
        logHead: () => this.logHead(),
      }),
      auth: new BearerAuth(options.token),
      openReads: config.openReads,
      isReady: () => this.#ready,
      logger,
    });
  }

  /** Starts a daemon and resolves once it is ready (recovery done, scheduler running). */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const address = parseListenAddress(options.config.listen);
    assertListenAllowed(address, options.config.allowNonLoopback);
    const daemon = new Daemon(options);
    try {
      await new Promise<void>((resolve, reject) => {
        daemon.#server.once('error', (error: NodeJS.ErrnoException) =>
          reject(
            new DaemonError(
              'SLUICE_E_CONFIG_INVALID',
              `cannot listen on ${options.config.listen}: ${error.code ?? error.message}` +
                (error.code === 'EADDRINUSE' ? ' — another daemon may be running there; stop it or pass another --listen' : ''),
              { cause: error },
            ),
          ),
        );
        daemon.#server.listen(address.port, address.host, () => resolve());
      });
      daemon.log.writerLock?.setAddress(daemon.address);
      daemon.#checkIntegrity(options.logger);
      daemon.#recovery = recover(
        {
          log: daemon.log,
          runtime: daemon.runtime,
          journal: daemon.#journal,
          sink: daemon.recorder,
          // Read-only: rollouts are rebuilt to be read, but nothing is started that would append or drive an adapter.
          activate: (entry) => (options.config.readOnly ? undefined : daemon.#activate(entry)),
          closeWindowsThrough: (at) => daemon.scheduler.closeWindows(at, (options.now ?? Date.now)()),
          readOnly: options.config.readOnly,
          openEnded: (rolloutId) => daemon.#openEnded(rolloutId),
          logFinalWindows: (entry) => daemon.#logFinalWindows(entry, entry.session.view.endedAt ?? daemon.#now()),
        },
        options.logger,
      );
      // The recorder starts with no closed windows. Before any request is served, close everything up to the
      // scheduler's watermark (windows replayed from the journal that are due are appended now, as the first round
      // would): otherwise a late sample for a window the log already holds is accepted and judged a second time, and
      // recovery after another crash would discard its journal row as "already logged" — an acknowledged sample lost.
      if (!options.config.readOnly) {
        daemon.scheduler.closeWindows(daemon.scheduler.closedBeforeAt, (options.now ?? Date.now)());
        daemon.scheduler.start();
        daemon.#reconciler.tick();
      }
      // After recovery and before ready: the xDS server serves every envoy rollout at the weight the log has in force.
      await daemon.#xds?.start(daemon.log);
      daemon.metrics.setLogChain({ headSeq: daemon.log.logHead()?.seq ?? 0, quarantined: daemon.#recovery.quarantined.length, readOnly: daemon.#readOnlyReason !== undefined });
      daemon.#ready = true;
      daemon.#startBackgroundVerify(options.logger);
      options.logger.info({ listen: daemon.address, db: options.config.db, rollouts: daemon.#recovery.rollouts }, 'sluice daemon ready');
      return daemon;
    } catch (error) {
      await daemon.stop();
      throw error;
    }
  }

  /** `host:port` the server listens on (the real port when 0 was asked). */
  get address(): string {
    const info = this.#server.address() as AddressInfo | null;
    return info ? formatListenAddress({ host: info.address, port: info.port }) : '';
  }

  get url(): string {
    return `http://${this.address}`;
  }

  /** `host:port` of the xDS server, when the daemon runs one (`--xds-listen`). */
  get xdsAddress(): string | undefined {
    return this.#xds?.address;
  }

  /** The xDS server (`--xds-listen`): its control plane says which clients hold what. */
  get xds(): XdsHost | undefined {
    return this.#xds;
  }

  get recovery(): RecoveryReport | undefined {
    return this.#recovery;
  }

  async stop(): Promise<void> {
    this.#ready = false;
    this.#backgroundVerify?.cancel();
    this.scheduler.stop();
    for (const entry of this.runtime.entries()) this.#prober.stop(entry.id);
    await this.#poller.close();
    await this.#accessLogs.stopAll();
    await this.#envoyAccessLogs.stopAll();
    await this.#xds?.stop();
    if (this.#server.listening) {
      // Stop accepting, commit what is queued so its requests get their answers, give in-flight requests a bounded
      // moment to finish, then cut what is left (event streams, slow clients). A batch cut before its answer may be
      // committed already; its client's retry counts it again (at-least-once across a lost answer, docs/api.md).
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      this.#server.closeIdleConnections();
      this.pipeline.flush();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, STOP_DRAIN_MS_MAX).unref())]);
      this.#server.closeAllConnections();
      await closed;
    }
    for (const timer of this.#seriesRemovals.values()) clearTimeout(timer);
    this.#seriesRemovals.clear();
    this.pipeline.close();
    this.#notifier.close();
    await this.#approvals.close();
    await this.#reconciler.close();
    this.#journal.close();
    this.log.close();
  }

  /** The log's head and how far it is verified: GET /v1/log/head, for an outside system to hold. */
  logHead(): Record<string, unknown> {
    const head = this.log.logHead();
    const info = this.log.chainInfo();
    return {
      seq: head?.seq ?? 0,
      link: head?.link ?? null,
      keyed: info.keyId === undefined ? null : { keyId: info.keyId, keyedSinceSeq: info.keyedSinceSeq },
      integrity: this.#integrity?.state ?? 'verifying',
      verifiedThroughSeq: this.#integrity?.verifiedThroughSeq ?? 0,
      readOnly: this.#readOnlyReason !== undefined,
    };
  }

  /**
   * Verifies, before serving, the log's tail since the last checkpoint and every ingest journal row (logIntegrity.ts).
   * A log that does not verify is refused — exit 2, naming what and where — unless the daemon runs --read-only, which
   * serves it for inspection. Nothing is appended to a broken log.
   */
  #checkIntegrity(logger: Logger): void {
    const report = checkAtStart(this.log, this.#journal);
    this.#integrity = report;
    this.metrics.setLogChain({ verifiedThroughSeq: report.verifiedThroughSeq, broken: report.state === 'broken' });
    if (report.state === 'broken') {
      const what = describeBroken(report);
      if (!this.#config.readOnly) {
        throw new DaemonError(
          'SLUICE_E_CONFIG_INVALID',
          `${this.#config.db}: the event log does not verify — ${what}. The daemon does not serve or append to an edited log: ` +
            `inspect it with \`sluice verify --db ${this.#config.db}\` or \`sluice daemon --read-only\`, or restore it from a backup`,
          { cause: new SluiceError('SLUICE_E_LOG_TAMPERED', what) },
        );
      }
      logger.error({ integrity: report }, `the event log does not verify (${what}); serving it read-only for inspection`);
    } else if (report.state === 'verified' && !this.#config.readOnly && report.headAtStart?.link) {
      // The whole log was verified before ready (no checkpoint yet): the next start verifies only what comes after.
      this.log.writeCheckpoint(report.headAtStart.seq, report.headAtStart.link, this.#now());
    }
  }

  /** The rows up to the head at start, verified again in slices while the daemon serves; a break stops every write. */
  #startBackgroundVerify(logger: Logger): void {
    if (!this.#integrity) return;
    this.#backgroundVerify = verifyInBackground(this.log, this.#integrity, {
      readOnly: this.#config.readOnly,
      now: this.#now,
      logger,
      onVerified: (report) => this.metrics.setLogChain({ verifiedThroughSeq: report.verifiedThroughSeq }),
      onBroken: (report) => {
        const what = describeBroken(report);
        logger.fatal({ integrity: report }, `the event log does not verify (${what}); the daemon stops writing and serves it read-only — restore the log and restart`);
        this.metrics.setLogChain({ broken: true, readOnly: true });
        this.#enterReadOnly(`the event log does not verify (${what}); writes are refused until the log is restored and the daemon restarted`);
      },
    });
  }

  /** Stops everything that appends (scheduler, sources, reconciler); reads are still served. */
  #enterReadOnly(reason: string): void {
    this.#readOnlyReason = reason;
    this.scheduler.stop();
    for (const entry of this.runtime.entries()) {
      this.#prober.stop(entry.id);
      this.#poller.stop(entry.id);
      void this.#accessLogs.stop(entry.id);
      void this.#envoyAccessLogs.stop(entry.id);
    }
    void this.#reconciler.close();
  }

  #activate(entry: RolloutEntry): void {
    this.recorder.open(entry.id, entry.spec.window);
    this.#reactions.sync(entry);
    const health = entry.spec.sources.health;
    if (health) this.#prober.start(entry.id, { url: health.url, intervalMs: health.interval, timeoutMs: health.timeout });
    try {
      const source = prometheusSourceOf(entry.spec);
      if (source) this.#poller.start(entry.id, { source, windowMs: entry.spec.window });
    } catch (error) {
      // Validated at creation; this only happens after a restart whose environment lost the Prometheus token.
      this.#logger.error({ rolloutId: entry.id, err: error }, 'cannot start the Prometheus source of this rollout');
    }
    const accessLog = entry.spec.sources.accessLog;
    if (accessLog && !entry.session.view.terminal) this.#accessLogs.start(entry.id, accessLog, entry.spec.window);
    if (entry.spec.sources.envoyAccessLog && !entry.session.view.terminal) this.#envoyAccessLogs.start(entry.id, entry.spec);
  }

  /**
   * Samples acknowledged for a rollout's still-open windows were promised durable, so when the rollout ends they are
   * logged as its last `samples.window` inputs (the machine, terminal now, decides nothing from them) rather than
   * dropped: the audit log holds every acknowledged sample. Returns false when they could not be appended, in which
   * case their journal rows stay for the next start.
   */
  #logFinalWindows(entry: RolloutEntry, at: number): boolean {
    const windows = this.recorder.isOpen(entry.id) ? this.recorder.flush(entry.id) : [];
    this.recorder.drop(entry.id);
    const inputs = windows
      .filter(({ window }) => window.baseline.count + window.canary.count > 0)
      .map(({ window }) => ({ rolloutId: entry.id, input: { type: 'samples.window' as const, at, data: window } }));
    if (inputs.length === 0) return true;
    const failed = new Set<string>();
    try {
      this.runtime.ingestMany(inputs, failed);
    } catch (error) {
      failed.add(entry.id);
      this.#logger.error({ rolloutId: entry.id, err: error }, 'the final windows of an ended rollout could not be logged; their journal rows are kept');
    }
    return !failed.has(entry.id);
  }

  /**
   * An ended rollout whose last open windows were not logged before the daemon died (recovery.ts settleEndedRows): its
   * entry, loaded from the log, with its recorder window open to take the acknowledged samples of the journal again.
   */
  #openEnded(rolloutId: string): RolloutEntry | undefined {
    try {
      const entry = this.runtime.get(rolloutId) ?? this.runtime.load(rolloutId);
      this.recorder.open(entry.id, entry.spec.window);
      return entry;
    } catch (error) {
      this.#logger.error({ rolloutId, err: error }, 'cannot load an ended rollout to log its last windows');
      return undefined;
    }
  }

  #onCommitted(entry: RolloutEntry, events: Parameters<Parameters<RolloutRuntime['onCommitted']>[0]>[1]): void {
    logDecisions(this.#logger, entry, events);
    const last = events.at(-1);
    if (last) this.metrics.setLogChain({ headSeq: last.seq });
    this.#reactions.onCommitted(entry, events);
    if (events.some((e) => e.type === 'rollout.created')) this.#activate(entry);
    if (events.some((e) => e.type === 'weight.desired')) this.#reconciler.step(entry);
    // Resident rollouts only: an ended rollout read from the log on demand (a command to it) had its end handled before.
    if (entry.session.view.terminal && this.runtime.get(entry.id) === entry && !this.#ended.has(entry.id)) {
      // Once per rollout: later events (the final weight.applied) must not cost another journal commit.
      this.#ended.add(entry.id);
      if (this.#logFinalWindows(entry, events.at(-1)?.at ?? Date.now())) this.#journal.discardRollout(entry.id);
      this.#prober.stop(entry.id);
      this.#poller.stop(entry.id);
      void this.#accessLogs.stop(entry.id);
      void this.#envoyAccessLogs.stop(entry.id);
      this.#removeSeriesLater(entry);
    }
  }

  /** Removes the ended rollout's series ENDED_SERIES_RETENTION_MS after its end. */
  #removeSeriesLater(entry: RolloutEntry): void {
    if (this.#seriesRemovals.has(entry.id)) return;
    const endedAt = entry.session.view.endedAt ?? this.#now();
    const delayMs = Math.max(0, endedAt + this.#endedSeriesRetentionMs - this.#now());
    const timer = setTimeout(() => {
      this.#seriesRemovals.delete(entry.id);
      this.metrics.removeRollout(entry.id);
    }, delayMs);
    timer.unref();
    this.#seriesRemovals.set(entry.id, timer);
  }
}
