import type { AnyStoredEvent } from '@sluice/core';
import type { DaemonMetrics, GateVerdictLabel } from '../metrics/daemonMetrics.js';
import type { ApprovalChecker } from '../notify/approvalChecker.js';
import { isNotificationEventType } from '../notify/webhookPayload.js';
import type { WebhookNotifier } from '../notify/webhookNotifier.js';
import type { RolloutEntry } from './RolloutRuntime.js';

/**
 * What the daemon does with committed events besides deciding: Prometheus series (phase, weights, gate verdicts),
 * notification webhooks (stage entered, paused, rollback started/finished, completed, aborted, apply failed, held),
 * and approval webhooks for stages waiting for approval. None of it blocks: the notifier and the approval checker
 * queue their HTTP calls with their own bounds.
 */
export class EventReactions {
  readonly #metrics: DaemonMetrics;
  readonly #notifier: WebhookNotifier;
  readonly #approvals: ApprovalChecker;

  constructor(metrics: DaemonMetrics, notifier: WebhookNotifier, approvals: ApprovalChecker) {
    this.#metrics = metrics;
    this.#notifier = notifier;
    this.#approvals = approvals;
  }

  /**
   * Brings the per-rollout series and approval checks in line with a rollout's state (after create or recovery). An
   * ended rollout without series gets none: it ended before this daemon started, or its series were already removed
   * after their retention (Daemon), and a late event must not bring them back for ever.
   */
  sync(entry: RolloutEntry): void {
    const view = entry.session.view;
    if (this.#keepsSeries(entry)) {
      this.#metrics.setRolloutPhase(entry.id, view.phase);
      // Every gate's latest verdict, from the state: the log holds a verdict only when it says something new, so after
      // a restart (or between changes) the committed events alone would leave the series unset (docs/log.md).
      for (const verdict of Object.values(view.lastVerdicts)) this.#metrics.setGateVerdict(entry.id, verdict.stage, verdict.gate, verdict.verdict as GateVerdictLabel);
      const weights: { desiredPercent: number; verifiedPercent?: number } = { desiredPercent: view.desiredWeightPercent };
      if (view.appliedWeightPercent !== null) weights.verifiedPercent = view.appliedWeightPercent;
      this.#metrics.setWeights(entry.id, weights);
    }
    const stage = entry.spec.stages[view.stageIndex];
    if (view.phase === 'awaitingApproval' && stage?.approval?.webhook) {
      this.#approvals.start({
        rolloutId: entry.id,
        service: entry.spec.service,
        stage: stage.name,
        webhook: stage.approval.webhook,
        baseline: entry.spec.baseline,
        candidate: entry.spec.candidate,
        weightPercent: view.desiredWeightPercent,
      });
    } else {
      this.#approvals.stop(entry.id);
    }
  }

  #keepsSeries(entry: RolloutEntry): boolean {
    return !entry.session.view.terminal || this.#metrics.hasRollout(entry.id);
  }

  onCommitted(entry: RolloutEntry, events: readonly AnyStoredEvent[]): void {
    for (const event of events) {
      if (event.type === 'gate.evaluated' && this.#keepsSeries(entry)) this.#metrics.setGateVerdict(entry.id, event.data.stage, event.data.gate, event.data.verdict as GateVerdictLabel);
      if (isNotificationEventType(event.type) && entry.spec.notifications.webhooks.length > 0) {
        this.#notifier.notify(
          { rolloutId: entry.id, type: event.type, at: event.at, position: event.position, data: event.data, chain: { seq: event.seq, hash: event.hash } },
          { service: entry.spec.service, stage: entry.session.view.stageName ?? undefined, webhooks: entry.spec.notifications.webhooks },
        );
      }
    }
    this.sync(entry);
  }
}
