import { roundWeightPercent, type RequestSample, type Variant, type WeightState } from '@sluice/core';
import { BUCKETS, stickyBucket } from './stickyHash.js';

/** Header testers send to pick a variant at any weight. `canary`/`always` and `baseline`/`never` are accepted. */
export const VARIANT_OVERRIDE_HEADER = 'x-sluice-variant';

export interface RouteRequest {
  /** Request headers, lower-case names (node's IncomingMessage.headers fits). */
  headers?: Record<string, string | string[] | undefined>;
  /** Sticky key (a user id, a session cookie); overrides `stickyKey` of the router. */
  key?: string;
}

export interface RouteDecision {
  variant: Variant;
  /** Why: the weighted draw, the sticky bucket, or the override header. */
  reason: 'weighted' | 'sticky' | 'override';
}

export interface WeightedRouterOptions {
  /** Initial canary share, 0–100 with two decimals; default 0. */
  weightPercent?: number;
  /** Initial generation; default 0. */
  generation?: number;
  /** Uniform source in [0, 1); inject a seeded one for deterministic routing. Default Math.random. */
  random?: () => number;
  /** Extracts a sticky key from a request (e.g. a cookie); requests with a key always get the same variant at a weight. */
  stickyKey?: (request: RouteRequest) => string | undefined;
  /** Salt mixed into sticky hashing so two rollouts do not pick the same users; default "". */
  stickySalt?: string;
  /** Clock for samples; default Date.now. */
  now?: () => number;
  /** Header consulted for overrides; null disables overrides. Default `x-sluice-variant`. */
  overrideHeader?: string | null;
}

export type SampleListener = (sample: RequestSample) => void;

export interface WeightedRouter {
  route(request?: RouteRequest): RouteDecision;
  setWeight(state: WeightState): WeightState;
  current(): WeightState;
  /** Registers a listener for request samples; returns an unsubscribe function. */
  onSample(listener: SampleListener): () => void;
  /** Reports a finished request; listeners receive a RequestSample. */
  recordOutcome(outcome: { variant: Variant; ok: boolean; latencyMs: number; at?: number }): void;
}

/** At most this many sample listeners, to catch leaks from listeners registered per request. */
export const SAMPLE_LISTENERS_MAX = 64;

export function parseOverride(value: string | string[] | undefined): Variant | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase();
  if (text === 'canary' || text === 'always') return 'canary';
  if (text === 'baseline' || text === 'never') return 'baseline';
  return undefined;
}

export function createWeightedRouter(options: WeightedRouterOptions = {}): WeightedRouter {
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const overrideHeader = options.overrideHeader === undefined ? VARIANT_OVERRIDE_HEADER : options.overrideHeader;
  const salt = options.stickySalt ?? '';
  let state: WeightState = checkState({ weightPercent: options.weightPercent ?? 0, generation: options.generation ?? 0 });
  const listeners = new Set<SampleListener>();

  return {
    route(request: RouteRequest = {}): RouteDecision {
      if (overrideHeader !== null) {
        const forced = parseOverride(request.headers?.[overrideHeader.toLowerCase()]);
        if (forced) return { variant: forced, reason: 'override' };
      }
      const key = request.key ?? options.stickyKey?.(request);
      const threshold = Math.round(state.weightPercent * 100);
      if (key !== undefined && key !== '') {
        return { variant: stickyBucket(key, salt) < threshold ? 'canary' : 'baseline', reason: 'sticky' };
      }
      if (threshold <= 0) return { variant: 'baseline', reason: 'weighted' };
      if (threshold >= BUCKETS) return { variant: 'canary', reason: 'weighted' };
      return { variant: random() * BUCKETS < threshold ? 'canary' : 'baseline', reason: 'weighted' };
    },
    setWeight(next: WeightState): WeightState {
      state = checkState(next);
      return { ...state };
    },
    current(): WeightState {
      return { ...state };
    },
    onSample(listener: SampleListener): () => void {
      if (listeners.size >= SAMPLE_LISTENERS_MAX) {
        throw new RangeError(`weighted router: more than ${SAMPLE_LISTENERS_MAX} sample listeners; unsubscribe the ones you no longer need`);
      }
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    recordOutcome(outcome): void {
      const sample: RequestSample = { variant: outcome.variant, at: outcome.at ?? now(), ok: outcome.ok, latencyMs: outcome.latencyMs };
      for (const listener of listeners) listener(sample);
    },
  };
}

function checkState(state: WeightState): WeightState {
  if (!Number.isFinite(state.weightPercent) || state.weightPercent < 0 || state.weightPercent > 100) {
    throw new RangeError(`weighted router: weightPercent must be 0–100, got ${state.weightPercent}`);
  }
  if (!Number.isSafeInteger(state.generation) || state.generation < 0) {
    throw new RangeError(`weighted router: generation must be a non-negative integer, got ${state.generation}`);
  }
  return { weightPercent: roundWeightPercent(state.weightPercent), generation: state.generation };
}
