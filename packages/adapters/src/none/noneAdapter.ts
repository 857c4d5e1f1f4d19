import { roundWeightPercent, type AdapterHealth, type TrafficAdapter, type WeightState } from '@sluice/core';
import { z } from 'zod';
import { parseAdapterOptions } from '../errors.js';

export const noneOptionsSchema = z
  .object({
    historyMax: z.int().min(1).max(100_000).default(1_000).describe('Applied states kept in `history` (oldest dropped first)'),
  })
  .strict();

export type NoneAdapterOptions = z.input<typeof noneOptionsSchema>;

/** The `none` adapter: applies instantly and records what it was asked, for simulation and tests. */
export interface RecordingAdapter extends TrafficAdapter {
  readonly type: 'none';
  /** Every state applied, oldest first, bounded by `historyMax`. */
  readonly history: readonly (WeightState & { at: number })[];
}

export function createNoneAdapter(options: NoneAdapterOptions = {}, now: () => number = Date.now): RecordingAdapter {
  const { historyMax } = parseAdapterOptions('none', noneOptionsSchema, options);
  let inForce: WeightState = { weightPercent: 0, generation: 0 };
  const history: (WeightState & { at: number })[] = [];
  let closed = false;
  return {
    type: 'none',
    history,
    async apply(desired: WeightState): Promise<WeightState> {
      const next = { weightPercent: roundWeightPercent(desired.weightPercent), generation: desired.generation };
      if (next.weightPercent === inForce.weightPercent && next.generation === inForce.generation) return { ...inForce };
      inForce = next;
      history.push({ ...next, at: now() });
      if (history.length > historyMax) history.splice(0, history.length - historyMax);
      return { ...inForce };
    },
    async read(): Promise<WeightState> {
      return { ...inForce };
    },
    async health(): Promise<AdapterHealth> {
      return closed ? { ok: false, detail: 'none adapter is closed' } : { ok: true };
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
