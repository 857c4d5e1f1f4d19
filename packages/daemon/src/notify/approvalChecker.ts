import type { Dispatcher } from 'undici';
import { request } from '../http/undiciRequest.js';
import { systemTimers, type TimerHandle, type Timers } from '../sources/timers.js';
import { redactUrl, type NotifyLogger } from './webhookNotifier.js';

/**
 * Approval gates, like Flagger's `confirm-promotion` webhook. When a stage that passed waits for approval and its spec
 * has `approval.webhook`, the checker POSTs a JSON payload to that URL (Flagger POSTs too) and treats a 2xx answer as
 * approval; any other status, a network error or a timeout means "not yet". It asks again every `intervalMs`, at most
 * `attemptsMax` times; then it gives up and reports it, and the stage keeps waiting for an operator's `promote`.
 *
 * On approval the daemon appends `command.issued {command: "approve", actor: "webhook:<url>"}`, so the decision and
 * who made it are in the log like any other command. Checks of one rollout never overlap.
 */
export interface ApprovalRequest {
  rolloutId: string;
  service: string;
  stage: string;
  webhook: string;
  baseline: string;
  candidate: string;
  weightPercent: number;
}

/** The JSON body the approval webhook receives. */
export interface ApprovalPayload {
  version: 1;
  rolloutId: string;
  service: string;
  stage: string;
  baseline: string;
  candidate: string;
  weightPercent: number;
  phase: 'awaitingApproval';
  /** 1-based attempt number. */
  attempt: number;
  /** When this check was sent, ms since epoch. */
  at: number;
}

export interface ApprovalResult {
  rolloutId: string;
  stage: string;
  webhook: string;
  at: number;
  attempts: number;
  /** For an approval, the HTTP status; for giving up, the last status or error. */
  detail: string;
}

export interface ApprovalCheckerOptions {
  onApproved(result: ApprovalResult): void;
  onGaveUp?(result: ApprovalResult): void;
  timers?: Timers;
  logger?: NotifyLogger;
  dispatcher?: Dispatcher;
  /** Between two checks. Default 10 s. */
  intervalMs?: number;
  /** Checks before giving up. Default 360 (an hour at the default interval). */
  attemptsMax?: number;
  /** Timeout of one check. Default 5 s. */
  timeoutMs?: number;
}

export const APPROVAL_DEFAULTS = { intervalMs: 10_000, attemptsMax: 360, timeoutMs: 5_000 } as const;

interface Waiting {
  request: ApprovalRequest;
  attempts: number;
  timer: TimerHandle | undefined;
  stopped: boolean;
  /** Approved or gave up: kept until `stop` so that a repeated `start` for the same stage does not ask again. */
  settled: boolean;
}

export class ApprovalChecker {
  private readonly timers: Timers;
  private readonly intervalMs: number;
  private readonly attemptsMax: number;
  private readonly timeoutMs: number;
  private readonly waiting = new Map<string, Waiting>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: ApprovalCheckerOptions) {
    this.timers = options.timers ?? systemTimers;
    this.intervalMs = options.intervalMs ?? APPROVAL_DEFAULTS.intervalMs;
    this.attemptsMax = options.attemptsMax ?? APPROVAL_DEFAULTS.attemptsMax;
    this.timeoutMs = options.timeoutMs ?? APPROVAL_DEFAULTS.timeoutMs;
    if (!(this.intervalMs >= 100)) throw new RangeError(`intervalMs must be ≥ 100, got ${this.intervalMs}`);
    if (!(this.attemptsMax >= 1 && this.attemptsMax <= 100_000)) throw new RangeError(`attemptsMax must be within 1–100000, got ${this.attemptsMax}`);
  }

  /**
   * Starts asking for a rollout's stage; the first check is sent at once. Calling it again for the same rollout and
   * stage is a no-op — also after the checker approved or gave up, until `stop` — so the daemon can call it on every
   * state sync without resetting the attempt bound; another stage or webhook replaces the previous request.
   */
  start(approval: ApprovalRequest): void {
    const existing = this.waiting.get(approval.rolloutId);
    if (existing && existing.request.stage === approval.stage && existing.request.webhook === approval.webhook) return;
    if (existing) this.stop(approval.rolloutId);
    const state: Waiting = { request: { ...approval }, attempts: 0, timer: undefined, stopped: false, settled: false };
    this.waiting.set(approval.rolloutId, state);
    this.check(state);
  }

  /** Stops asking (the stage was promoted, approved by hand, rolled back or aborted). A check in flight is ignored. */
  stop(rolloutId: string): void {
    const state = this.waiting.get(rolloutId);
    if (!state) return;
    state.stopped = true;
    if (state.timer) this.timers.clearTimeout(state.timer);
    this.waiting.delete(rolloutId);
  }

  /** True while the checker is still asking for this rollout (not yet approved, not given up, not stopped). */
  isWaiting(rolloutId: string): boolean {
    const state = this.waiting.get(rolloutId);
    return state !== undefined && !state.settled;
  }

  /** Stops everything and waits for checks in flight to settle. */
  async close(): Promise<void> {
    for (const rolloutId of [...this.waiting.keys()]) this.stop(rolloutId);
    await Promise.allSettled([...this.inFlight]);
  }

  private check(state: Waiting): void {
    state.timer = undefined;
    state.attempts++;
    const run = this.ask(state).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private async ask(state: Waiting): Promise<void> {
    const { request: approval } = state;
    const at = this.timers.now();
    const payload: ApprovalPayload = {
      version: 1,
      rolloutId: approval.rolloutId,
      service: approval.service,
      stage: approval.stage,
      baseline: approval.baseline,
      candidate: approval.candidate,
      weightPercent: approval.weightPercent,
      phase: 'awaitingApproval',
      attempt: state.attempts,
      at,
    };
    const { approved, detail } = await this.post(approval.webhook, payload);
    if (state.stopped) return;
    const result: ApprovalResult = { rolloutId: approval.rolloutId, stage: approval.stage, webhook: approval.webhook, at: this.timers.now(), attempts: state.attempts, detail };
    const log = { rolloutId: approval.rolloutId, stage: approval.stage, webhook: redactUrl(approval.webhook), attempts: state.attempts, detail };
    if (approved) {
      state.settled = true;
      this.options.logger?.info(log, 'approval webhook approved the stage');
      try {
        this.options.onApproved(result);
        return;
      } catch (error) {
        // Recording the approval failed (the log refused the command). Throwing here would be an unhandled rejection,
        // which stops the daemon, and settling would drop the approval: ask again at the next interval instead.
        state.settled = false;
        this.options.logger?.warn({ ...log, err: error }, 'approval webhook approved the stage, but the approval could not be recorded; asking again');
        if (state.stopped) return;
      }
    }
    if (state.attempts >= this.attemptsMax) {
      state.settled = true;
      this.options.logger?.warn(log, 'approval webhook never approved; the stage waits for a manual promote');
      this.options.onGaveUp?.(result);
      return;
    }
    state.timer = this.timers.setTimeout(() => this.check(state), this.intervalMs);
  }

  private async post(url: string, payload: ApprovalPayload): Promise<{ approved: boolean; detail: string }> {
    const controller = new AbortController();
    const timeout = this.timers.setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'sluice-approval' },
        body: JSON.stringify(payload),
        signal: controller.signal,
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
      await response.body.dump({ limit: 16 * 1024 }).catch(() => undefined);
      return { approved: response.statusCode >= 200 && response.statusCode < 300, detail: `HTTP ${response.statusCode}` };
    } catch (error) {
      const detail = controller.signal.aborted ? `timeout after ${this.timeoutMs} ms` : error instanceof Error ? error.message : String(error);
      return { approved: false, detail };
    } finally {
      this.timers.clearTimeout(timeout);
    }
  }
}
