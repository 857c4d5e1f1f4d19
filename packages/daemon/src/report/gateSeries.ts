import { countSlowerThanMs, gateNameOf, type GateConfig, type GateEvaluatedData, type NewDecisionEvent, type RolloutSpec } from '@sluice/core/replay';
import type { WindowVisitor } from './recordedFold.js';
import { round4 } from './roundValue.js';
import type { GateMetric, GateSeries } from './reportTypes.js';

/** Verdict letters of GateSeries.verdicts. */
const LETTER = { pass: 'p', fail: 'f', inconclusive: 'i' } as const;

/** Verdict changes kept per gate with their summaries (a gate that flaps for days); the rest are counted. */
export const GATE_CHANGES_KEPT_MAX = 200;

/** The latency quantiles every report computes per window (p99, the overview chart's), before the gates' own. */
export const OVERVIEW_QUANTILES = [0.99] as const;

/**
 * Builds every gate's series from the recomputed `gate.evaluated` decisions. Window-judging gates are matched to the
 * window they judged by time (a window's gates are evaluated at the window event's `at`). The slow-share gate's
 * counts need the window's histograms at the threshold that evaluation used: `visitor` computes them while the
 * recorded fold decodes each window once, so the series are complete after that fold.
 */
export class GateSeriesBuilder {
  readonly quantiles: number[];
  readonly #gates = new Map<string, GateSeries & { windowAt: number[] }>();
  /** Slow-share evaluations by window time: which series, which entry, which threshold. */
  readonly #slowByAt = new Map<number, Array<{ series: GateSeries; entry: number; thresholdMs: number }>>();

  constructor(spec: RolloutSpec, decisions: readonly NewDecisionEvent[]) {
    const quantiles: number[] = [...OVERVIEW_QUANTILES];
    const configs = new Map<string, GateConfig>();
    for (const stage of spec.stages) {
      for (const gate of stage.gates) {
        const name = gateNameOf(gate);
        if (!configs.has(name)) configs.set(name, gate);
        if (gate.kind === 'latency' && !quantiles.includes(gate.quantile)) quantiles.push(gate.quantile);
      }
    }
    this.quantiles = quantiles;
    for (const decision of decisions) {
      if (decision.type !== 'gate.evaluated') continue;
      this.#add(decision.at, decision.data, configs.get(decision.data.gate));
    }
  }

  /** Fills the slow-share counts; pass to foldRecorded. */
  readonly visitor: WindowVisitor = (_index, at, canary, baseline) => {
    for (const { series, entry, thresholdMs } of this.#slowByAt.get(at) ?? []) {
      series.canarySlow![entry] = countSlowerThanMs(canary, thresholdMs);
      series.baselineSlow![entry] = countSlowerThanMs(baseline, thresholdMs);
    }
  };

  /** The series, each evaluation tied to its window's index in `windowAt` (the fold's WindowSeries.at). */
  result(windowAt: readonly number[]): GateSeries[] {
    const indexOf = new Map<number, number>();
    windowAt.forEach((at, index) => indexOf.set(at, index));
    // A window-judging gate's times are its windows' (WindowSeries.at); only the others keep their own, to stay small.
    return [...this.#gates.values()].map(({ windowAt: evaluatedAt, ...series }) => {
      const window = series.metric === 'none' ? evaluatedAt.map(() => -1) : evaluatedAt.map((at) => indexOf.get(at) ?? -1);
      return { ...series, at: window.includes(-1) ? series.at : [], window };
    });
  }

  #add(at: number, data: GateEvaluatedData, config: GateConfig | undefined): void {
    let series = this.#gates.get(data.gate);
    if (!series) {
      series = { ...emptySeries(data.gate, data.kind, config, this.quantiles), windowAt: [] };
      this.#gates.set(data.gate, series);
    }
    const entry = series.at.length;
    const previous = series.verdicts.at(-1);
    const letter = LETTER[data.verdict];
    series.at.push(at);
    series.windowAt.push(at);
    series.verdicts += letter;
    if (!series.stages.includes(data.stage)) series.stages.push(data.stage);
    if (previous !== letter) {
      if (series.changes.length < GATE_CHANGES_KEPT_MAX) series.changes.push({ at, verdict: data.verdict, summary: data.evidence.summary });
      else series.changesOmitted += 1;
    }
    const e = data.evidence as Record<string, unknown>;
    series.bound.push(boundOf(data.kind, e, config));
    if (series.logEValueWorse) {
      const sampleRatio = data.kind === 'sampleRatio';
      series.logEValueWorse.push(round4(numberOr(sampleRatio ? e.logBayesFactor : e.logEValueWorse)));
      series.logEValueNotWorse!.push(sampleRatio ? null : round4(numberOr(e.logEValueNotWorse)));
      const logBound = numberOr(e.logBound);
      if (logBound !== null) series.logBound = logBound;
    }
    if (series.metric === 'slowShare') {
      const thresholdMs = numberOr(e.thresholdMs);
      series.thresholdMs!.push(thresholdMs === null ? null : round4(thresholdMs));
      series.canarySlow!.push(0);
      series.baselineSlow!.push(0);
      if (thresholdMs !== null) {
        const list = this.#slowByAt.get(at) ?? [];
        list.push({ series, entry, thresholdMs });
        this.#slowByAt.set(at, list);
      }
    }
  }
}

function emptySeries(name: string, kind: string, config: GateConfig | undefined, quantiles: number[]): GateSeries {
  const metric = metricOf(kind);
  const series: GateSeries = { name, kind, stages: [], metric, at: [], window: [], verdicts: '', bound: [], boundLabel: boundLabelOf(kind, config), changes: [], changesOmitted: 0 };
  if (config?.kind === 'latency') series.quantileIndex = quantiles.indexOf(config.quantile);
  if (kind === 'compareErrorRate' || kind === 'compareLatency' || kind === 'sampleRatio') {
    series.logEValueWorse = [];
    series.logEValueNotWorse = [];
  }
  if (metric === 'slowShare') {
    series.canarySlow = [];
    series.baselineSlow = [];
    series.thresholdMs = [];
  }
  return series;
}

function metricOf(kind: string): GateMetric {
  switch (kind) {
    case 'errorRate':
    case 'compareErrorRate':
    case 'flagger':
    case 'argo':
      return 'errorRate';
    case 'latency':
      return 'latency';
    case 'compareLatency':
      return 'slowShare';
    case 'sampleRatio':
      return 'canaryShare';
    default:
      return 'none';
  }
}

function boundOf(kind: string, e: Record<string, unknown>, config: GateConfig | undefined): number | null {
  switch (kind) {
    case 'errorRate':
      return numberOr(e.maxPercent);
    case 'latency':
      return numberOr(e.maxMs);
    case 'compareErrorRate':
    case 'compareLatency': {
      // The gate's limit on the stage's totals: the baseline's rate so far, times 1 + tolerance.
      const baseline = numberOr(e.baselineRatePercent);
      const tolerance = numberOr(e.tolerance);
      return baseline === null || tolerance === null ? null : round4(baseline * (1 + tolerance));
    }
    case 'sampleRatio':
      return numberOr(e.weightPercent);
    case 'flagger':
    case 'argo':
      return config && 'successRatePercentMin' in config ? round4(100 - config.successRatePercentMin) : null;
    default:
      return null;
  }
}

function boundLabelOf(kind: string, config: GateConfig | undefined): string {
  switch (config?.kind ?? kind) {
    case 'errorRate':
      return config?.kind === 'errorRate' ? `bound ${config.maxPercent}% (breaker, confidence ${config.confidence})` : 'bound';
    case 'latency':
      return config?.kind === 'latency' ? `bound ${config.maxMs} ms at p${round4(config.quantile * 100)}` : 'bound';
    case 'compareErrorRate':
    case 'compareLatency':
      return config && 'tolerance' in config ? `baseline so far × ${round4(1 + config.tolerance)} (tolerance)` : 'baseline × (1 + tolerance)';
    case 'sampleRatio':
      return 'weight in force';
    case 'flagger':
    case 'argo':
      return config && 'successRatePercentMin' in config ? `error rate bound ${round4(100 - config.successRatePercentMin)}% (success rate ≥ ${config.successRatePercentMin}%)` : 'bound';
    default:
      return '';
  }
}

function numberOr(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
