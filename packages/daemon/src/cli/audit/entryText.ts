import type { AnyStoredEvent, RolloutSpec } from '@sluice/core';

/** A time as the audit prints it: UTC ISO 8601 with milliseconds. */
export function iso(at: number): string {
  return new Date(at).toISOString();
}

/**
 * The line the audit timeline prints for one stored event (inputs and decisions alike). Sample windows, ticks,
 * health checks and metrics are summarised by the gates' verdicts instead, so they have no line of their own.
 */
export function describeEntry(event: AnyStoredEvent, spec: RolloutSpec | null): string {
  switch (event.type) {
    case 'rollout.created': {
      const s = event.data.spec;
      return `${s.service}: ${s.baseline} → ${s.candidate}, ${s.stages.length} stage(s): ${s.stages.map((st) => `${st.name} ${st.weightPercent}%`).join(' → ')}`;
    }
    case 'rollout.planned':
      return `pre-flight plan at ${event.data.traffic.requestsPerSecond} requests/s, ${(event.data.traffic.errorRate * 100).toPrecision(2)}% errors (${event.data.traffic.source}): ${event.data.warnings.length === 0 ? 'no warnings' : event.data.warnings.join('; ')}`;
    case 'stage.entered':
      return `${event.data.stage} (${event.data.index + 1}/${spec?.stages.length ?? '?'}) entered at ${event.data.weightPercent}%`;
    case 'weight.desired':
      return `desired ${event.data.weightPercent}% (generation ${event.data.generation}: ${event.data.reason})`;
    case 'weight.applied':
      return `verified ${event.data.weightPercent}% (generation ${event.data.generation})`;
    case 'weight.applyFailed':
      return `applying ${event.data.weightPercent}% (generation ${event.data.generation}) failed: ${event.data.error}${event.data.code ? ` [${event.data.code}]` : ''}`;
    case 'command.issued':
      return `${event.data.command} by ${event.data.actor ?? 'unknown actor'}${event.data.reason ? `: ${event.data.reason}` : ' (no reason given)'}`;
    case 'command.rejected':
      return `${event.data.command} rejected in ${event.data.state}: ${event.data.reason}`;
    case 'paused':
      return event.data.reason.startsWith('paused') ? event.data.reason : `paused: ${event.data.reason}`;
    case 'resumed':
      return 'resumed';
    case 'stage.extended':
      return `${event.data.stage} extended (extension ${event.data.extension}), maximum now ${Math.round(event.data.durationMax / 1_000)}s`;
    case 'stage.awaitingApproval':
      return `${event.data.stage} passed; waiting for approval${event.data.webhook ? ` from ${event.data.webhook}` : ' (manual: sluice approve)'}`;
    case 'stage.held':
      return `${event.data.stage} holding${event.data.gate ? ` on gate ${event.data.gate}` : ''}: ${event.data.evidence.summary} — an operator decides`;
    case 'gate.evaluated':
      return `${event.data.gate} in ${event.data.stage}: ${event.data.verdict} — ${event.data.evidence.summary}`;
    case 'rollback.started':
      return `rollback from ${event.data.stage}, reason ${event.data.reason}${event.data.gate ? ` (gate ${event.data.gate})` : ''}: ${event.data.evidence.summary}`;
    case 'rollback.completed':
      return '0% verified: the rollback is complete';
    case 'completed':
      return '100% verified: the rollout is complete';
    case 'aborted':
      return event.data.reason.startsWith('aborted') ? event.data.reason : `aborted: ${event.data.reason}`;
    case 'samples.window':
      return `window: canary ${event.data.canary.errors}/${event.data.canary.count} errors, baseline ${event.data.baseline.errors}/${event.data.baseline.count}`;
    case 'health.checked':
      return `health ${event.data.ok ? 'ok' : 'failed'}${event.data.target ? ` ${event.data.target}` : ''}${event.data.detail ? `: ${event.data.detail}` : ''}`;
    case 'metric.observed':
      return `metric ${event.data.name} ${event.data.variant} = ${event.data.value}`;
    case 'tick':
      return 'tick';
  }
}

/** A duration for people: `850ms`, `1.5s`, `6m5s`. */
export function formatMs(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(2))}s`;
  const s = Math.round(ms / 1_000);
  const h = Math.floor(s / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  return `${h > 0 ? `${h}h` : ''}${m > 0 || h > 0 ? `${m}m` : ''}${s % 60}s`;
}
