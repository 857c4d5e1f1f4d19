import { ROLLOUT_PHASES } from '@sluice/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The daemon's Prometheus metrics, served as text on `/metrics`. A private prom-client Registry (never the global one),
 * so two daemons in one process (tests, embedding) never mix their series. The daemon core calls the typed methods
 * below from the places it already learns each fact; `render()` produces the exposition.
 *
 * Cardinality is bounded: per-rollout series exist for at most `rolloutsMax` rollouts at once (beyond that they are
 * skipped and counted in `sluice_metrics_rollouts_skipped_total`), and the daemon calls `removeRollout` a while after a
 * rollout ended (Daemon: ENDED_SERIES_RETENTION_MS). Gate series keep only the rollout's current stage.
 */
export type GateVerdictLabel = 'pass' | 'fail' | 'inconclusive';
export type ApplyResult = 'applied' | 'failed';
export type BatchResult = 'accepted' | 'rejected';
export type WebhookDeliveryResult = 'delivered' | 'failed' | 'dropped';
/** Outcome of one pulled Prometheus window: recorded, failed (the error's code), or skipped (previous still running). */
export type PulledWindowResult = 'ok' | 'error' | 'skipped';

/** The rollout machine's phases, from core: a phase series exists for each, so a dashboard sees 0 before 1. */
export const KNOWN_PHASES = ROLLOUT_PHASES;
const VERDICTS: readonly GateVerdictLabel[] = ['pass', 'fail', 'inconclusive'];

/** Seconds: from 1 ms (in-process router) to 30 s (a Kubernetes apply waiting for rollout). */
export const APPLY_DURATION_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface DaemonMetricsOptions {
  /** Metric name prefix. Default "sluice_". */
  prefix?: string;
  /** Include prom-client's process metrics (CPU, memory, event-loop lag, GC). Default true. */
  processMetrics?: boolean;
  /** Rollouts with per-rollout series at once. Default 10,000. */
  rolloutsMax?: number;
  /**
   * Read at each scrape for `<prefix>rollouts{state}`: the active rollouts (in memory) and the log's ended ones by
   * outcome (from its lifecycle index — ended rollouts are not in memory). Without it the gauge has no series.
   */
  rolloutCounts?: () => { active: number; ended: Record<'completed' | 'rolledBack' | 'aborted', number> };
}

export interface DaemonMetrics {
  readonly registry: Registry;
  /** The Content-Type to serve `render()` with. */
  readonly contentType: string;
  /** Sets `<prefix>rollout_phase{rollout,phase}` to 1 for `phase` and 0 for every other phase. */
  setRolloutPhase(rolloutId: string, phase: string): void;
  /** Desired weight (from `weight.desired`) and/or verified weight (from `weight.applied`), in percent. */
  setWeights(rolloutId: string, weights: { desiredPercent?: number; verifiedPercent?: number }): void;
  /** The latest verdict of a gate: 1 on its verdict label, 0 on the other two. A new stage drops the old stage's gates. */
  setGateVerdict(rolloutId: string, stage: string, gate: string, verdict: GateVerdictLabel): void;
  /** Drops every series of a rollout (call when the daemon forgets a finished rollout). */
  removeRollout(rolloutId: string): void;
  /** Whether the rollout has per-rollout series now. */
  hasRollout(rolloutId: string): boolean;
  /** Samples of one ingest request: how many were accepted (durable) and rejected (malformed lines). */
  countSamples(accepted: number, rejected: number): void;
  countBatch(result: BatchResult): void;
  /** One adapter apply, from call to verified read-back (or failure). */
  observeApply(adapter: string, result: ApplyResult, durationSeconds: number): void;
  countWebhookDelivery(result: WebhookDeliveryResult): void;
  /** One health probe of the prober (sources.health). */
  countHealthProbe(ok: boolean): void;
  /** One window of the Prometheus source; `code` is the error's stable code for `error`. */
  countPulledWindow(result: PulledWindowResult, code?: string): void;
  /** 1 while a rollback's weight could not be applied (the canary still gets traffic), 0 once it is. */
  setRollbackUnapplied(rolloutId: string, unapplied: boolean): void;
  /** The log's chain (docs/reliability.md): head sequence, rows verified, whether it verifies, read-only, quarantined rollouts. */
  setLogChain(state: { headSeq?: number; verifiedThroughSeq?: number; broken?: boolean; readOnly?: boolean; quarantined?: number }): void;
  render(): Promise<string>;
}

interface RolloutSeries {
  phases: Set<string>;
  stage: string | undefined;
  gates: Set<string>;
}

export function createDaemonMetrics(options: DaemonMetricsOptions = {}): DaemonMetrics {
  const prefix = options.prefix ?? 'sluice_';
  const rolloutsMax = options.rolloutsMax ?? 10_000;
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix });

  const phase = new Gauge({ name: `${prefix}rollout_phase`, help: 'Rollout phase: 1 for the current phase, 0 for the others', labelNames: ['rollout', 'phase'], registers });
  const desired = new Gauge({ name: `${prefix}rollout_weight_desired_percent`, help: 'Canary weight the rollout wants, in percent', labelNames: ['rollout'], registers });
  const verified = new Gauge({ name: `${prefix}rollout_weight_verified_percent`, help: 'Canary weight the adapter verified as in force, in percent', labelNames: ['rollout'], registers });
  const gateVerdict = new Gauge({ name: `${prefix}gate_verdict`, help: "Latest verdict of each gate of the rollout's current stage: 1 on the verdict, 0 on the others", labelNames: ['rollout', 'stage', 'gate', 'verdict'], registers });
  const samples = new Counter({ name: `${prefix}ingest_samples_total`, help: 'Request samples received, by result (accepted = durable)', labelNames: ['result'], registers });
  const batches = new Counter({ name: `${prefix}ingest_batches_total`, help: 'Sample batches (ingest requests), by result', labelNames: ['result'], registers });
  const apply = new Histogram({ name: `${prefix}adapter_apply_duration_seconds`, help: 'Adapter apply, from call to verified read-back or failure', labelNames: ['adapter', 'result'], buckets: APPLY_DURATION_BUCKETS_SECONDS, registers });
  const webhooks = new Counter({ name: `${prefix}webhook_deliveries_total`, help: 'Notification webhook deliveries, by final result', labelNames: ['result'], registers });
  const probes = new Counter({ name: `${prefix}health_probes_total`, help: 'Health probes of the prober, by result', labelNames: ['result'], registers });
  const pulled = new Counter({ name: `${prefix}prometheus_windows_total`, help: 'Windows queried from Prometheus, by result and error code', labelNames: ['result', 'code'], registers });
  const rollbackUnapplied = new Gauge({ name: `${prefix}rollback_unapplied`, help: 'A rollback whose weight the adapter has not applied yet: 1 while it keeps failing (alert on it)', labelNames: ['rollout'], registers });
  const skipped = new Counter({ name: `${prefix}metrics_rollouts_skipped_total`, help: 'Per-rollout updates skipped because rolloutsMax rollouts already have series', registers });
  const logHeadSeq = new Gauge({ name: `${prefix}log_head_seq`, help: 'Sequence number of the last event in the log (its link is on GET /v1/log/head): an outside system holding it notices a truncated log', registers });
  const logVerifiedSeq = new Gauge({ name: `${prefix}log_verified_through_seq`, help: 'Every event up to this sequence number has been verified since the daemon started', registers });
  const logBroken = new Gauge({ name: `${prefix}log_chain_broken`, help: '1 when the log does not verify (the daemon then refuses writes; alert on it)', registers });
  const readOnlyGauge = new Gauge({ name: `${prefix}read_only`, help: '1 while the daemon refuses writes (--read-only, or a log that does not verify)', registers });
  const quarantinedGauge = new Gauge({ name: `${prefix}rollouts_quarantined`, help: 'Rollouts set aside at start because their log could not be loaded (alert on it)', registers });
  for (const gauge of [logHeadSeq, logVerifiedSeq, logBroken, readOnlyGauge, quarantinedGauge]) gauge.set(0);
  const rolloutCounts = options.rolloutCounts;
  new Gauge({
    name: `${prefix}rollouts`,
    help: 'Rollouts by state: active (driven now), and the ended ones of the log by outcome (completed, rolledBack, aborted), counted at each scrape',
    labelNames: ['state'],
    registers,
    collect() {
      if (!rolloutCounts) return;
      const counts = rolloutCounts();
      this.set({ state: 'active' }, counts.active);
      for (const [state, count] of Object.entries(counts.ended)) this.set({ state }, count);
    },
  });

  // Zero-initialise the label sets that always exist, so dashboards see 0 rather than no series.
  for (const result of ['accepted', 'rejected']) {
    samples.inc({ result }, 0);
    batches.inc({ result }, 0);
  }
  for (const result of ['delivered', 'failed', 'dropped']) webhooks.inc({ result }, 0);
  for (const result of ['ok', 'failed']) probes.inc({ result }, 0);

  const rollouts = new Map<string, RolloutSeries>();
  const seriesOf = (rolloutId: string): RolloutSeries | undefined => {
    let series = rollouts.get(rolloutId);
    if (series) return series;
    if (rollouts.size >= rolloutsMax) {
      skipped.inc();
      return undefined;
    }
    series = { phases: new Set(KNOWN_PHASES), stage: undefined, gates: new Set() };
    rollouts.set(rolloutId, series);
    return series;
  };
  const removeGates = (rolloutId: string, series: RolloutSeries): void => {
    for (const gate of series.gates) for (const verdict of VERDICTS) gateVerdict.remove({ rollout: rolloutId, stage: series.stage ?? '', gate, verdict });
    series.gates.clear();
  };

  return {
    registry,
    contentType: registry.contentType,
    setLogChain(state) {
      if (state.headSeq !== undefined) logHeadSeq.set(state.headSeq);
      if (state.verifiedThroughSeq !== undefined) logVerifiedSeq.set(state.verifiedThroughSeq);
      if (state.broken !== undefined) logBroken.set(state.broken ? 1 : 0);
      if (state.readOnly !== undefined) readOnlyGauge.set(state.readOnly ? 1 : 0);
      if (state.quarantined !== undefined) quarantinedGauge.set(state.quarantined);
    },
    setRolloutPhase(rolloutId, current) {
      const series = seriesOf(rolloutId);
      if (!series) return;
      series.phases.add(current);
      for (const p of series.phases) phase.set({ rollout: rolloutId, phase: p }, p === current ? 1 : 0);
    },
    setWeights(rolloutId, weights) {
      if (!seriesOf(rolloutId)) return;
      if (weights.desiredPercent !== undefined) desired.set({ rollout: rolloutId }, weights.desiredPercent);
      if (weights.verifiedPercent !== undefined) verified.set({ rollout: rolloutId }, weights.verifiedPercent);
    },
    setGateVerdict(rolloutId, stage, gate, verdict) {
      const series = seriesOf(rolloutId);
      if (!series) return;
      if (series.stage !== stage) {
        removeGates(rolloutId, series);
        series.stage = stage;
      }
      series.gates.add(gate);
      for (const v of VERDICTS) gateVerdict.set({ rollout: rolloutId, stage, gate, verdict: v }, v === verdict ? 1 : 0);
    },
    hasRollout(rolloutId) {
      return rollouts.has(rolloutId);
    },
    removeRollout(rolloutId) {
      const series = rollouts.get(rolloutId);
      if (!series) return;
      for (const p of series.phases) phase.remove({ rollout: rolloutId, phase: p });
      desired.remove({ rollout: rolloutId });
      verified.remove({ rollout: rolloutId });
      rollbackUnapplied.remove({ rollout: rolloutId });
      removeGates(rolloutId, series);
      rollouts.delete(rolloutId);
    },
    countSamples(accepted, rejected) {
      if (accepted > 0) samples.inc({ result: 'accepted' }, accepted);
      if (rejected > 0) samples.inc({ result: 'rejected' }, rejected);
    },
    countBatch(result) {
      batches.inc({ result });
    },
    observeApply(adapter, result, durationSeconds) {
      apply.observe({ adapter, result }, Math.max(0, durationSeconds));
    },
    countWebhookDelivery(result) {
      webhooks.inc({ result });
    },
    countHealthProbe(ok) {
      probes.inc({ result: ok ? 'ok' : 'failed' });
    },
    countPulledWindow(result, code) {
      // Codes are a fixed set (errors.ts), so the label stays bounded; anything else is "other".
      const label = result === 'error' ? (code !== undefined && /^SLUICE_E_[A-Z_]+$/.test(code) ? code : 'other') : '';
      pulled.inc({ result, code: label });
    },
    setRollbackUnapplied(rolloutId, unapplied) {
      if (!seriesOf(rolloutId)) return;
      rollbackUnapplied.set({ rollout: rolloutId }, unapplied ? 1 : 0);
    },
    render() {
      return registry.metrics();
    },
  };
}
