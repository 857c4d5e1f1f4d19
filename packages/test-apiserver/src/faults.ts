/**
 * Fault knobs: what the server and its gateway controller do wrong on purpose. Set at start, with
 * `TestApiServer.setFaults`, or over HTTP (`PUT /sluice-test/v1/faults`, the same JSON). Counts are consumed: `conflicts:
 * 3` makes the next three writes fail, then writes succeed again.
 */
export interface Faults {
  /** Delay before every API answer (discovery included), in ms. Default 0. */
  responseDelayMs: number;
  /** The next N writes (create, update, patch, delete) answer 409 Conflict — a "409 storm". Default 0. */
  conflicts: number;
  /** The next N API requests (not discovery) answer 500 InternalError. Default 0. */
  serverErrors: number;
  controller: ControllerFaults;
}

export interface ControllerFaults {
  /** `accept`: set Accepted=True; `never`: write no status at all; `reject`: Accepted=False with `reason`/`message`. */
  mode: 'accept' | 'never' | 'reject';
  /** Delay between a change of an HTTPRoute and the controller's status write, in ms. Default 0. */
  delayMs: number;
  /** Condition reason when mode is `reject`. Default `NotAllowedByListeners`. */
  reason: string;
  /** Condition message when mode is `reject`. */
  message: string;
}

export const DEFAULT_FAULTS: Faults = {
  responseDelayMs: 0,
  conflicts: 0,
  serverErrors: 0,
  controller: { mode: 'accept', delayMs: 0, reason: 'NotAllowedByListeners', message: 'no listener of the parent Gateway allows this route (injected by sluice-test-apiserver)' },
};

/** Bounds of the knobs, so a mistyped value cannot hang a test for hours. */
const DELAY_MS_MAX = 600_000;
const COUNT_MAX = 1_000_000;

/** Merges a partial JSON update into `current`, checking every field; throws a TypeError naming the bad ones. */
export function mergeFaults(current: Faults, update: unknown): Faults {
  if (update === null || typeof update !== 'object' || Array.isArray(update)) throw new TypeError('faults must be a JSON object');
  const input = update as Record<string, unknown>;
  const problems: string[] = [];
  const next: Faults = { ...current, controller: { ...current.controller } };
  const integer = (value: unknown, field: string, max: number): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
      problems.push(`${field} must be an integer within 0–${max} (got ${JSON.stringify(value)})`);
      return undefined;
    }
    return value;
  };
  for (const key of Object.keys(input)) if (!['responseDelayMs', 'conflicts', 'serverErrors', 'controller'].includes(key)) problems.push(`unknown field "${key}"`);
  next.responseDelayMs = integer(input.responseDelayMs, 'responseDelayMs', DELAY_MS_MAX) ?? next.responseDelayMs;
  next.conflicts = integer(input.conflicts, 'conflicts', COUNT_MAX) ?? next.conflicts;
  next.serverErrors = integer(input.serverErrors, 'serverErrors', COUNT_MAX) ?? next.serverErrors;
  if (input.controller !== undefined) {
    const controller = input.controller as Record<string, unknown>;
    if (controller === null || typeof controller !== 'object') problems.push('controller must be an object');
    else {
      for (const key of Object.keys(controller)) if (!['mode', 'delayMs', 'reason', 'message'].includes(key)) problems.push(`unknown field "controller.${key}"`);
      if (controller.mode !== undefined) {
        if (controller.mode === 'accept' || controller.mode === 'never' || controller.mode === 'reject') next.controller.mode = controller.mode;
        else problems.push(`controller.mode must be "accept", "never" or "reject" (got ${JSON.stringify(controller.mode)})`);
      }
      next.controller.delayMs = integer(controller.delayMs, 'controller.delayMs', DELAY_MS_MAX) ?? next.controller.delayMs;
      for (const key of ['reason', 'message'] as const) {
        const value = controller[key];
        if (value === undefined) continue;
        if (typeof value !== 'string' || value.length > 1_024) problems.push(`controller.${key} must be a string of at most 1024 characters`);
        else next.controller[key] = value;
      }
    }
  }
  if (problems.length > 0) throw new TypeError(`invalid faults: ${problems.join('; ')}`);
  return next;
}
