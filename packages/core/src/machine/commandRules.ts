import type { NewDecisionEvent, OperatorCommand } from '../events/eventTypes.js';
import type { RolloutPhase } from './rolloutContext.js';

/**
 * Which operator command each phase accepts. The machine's states list the same commands as transitions; this table
 * is the documentation of it and the source of the rejection reasons (a test checks that the two agree).
 */
export const ACCEPTED_COMMANDS: Record<RolloutPhase, readonly OperatorCommand[]> = {
  pending: [],
  progressing: ['promote', 'promoteFull', 'pause', 'abort', 'rollback'],
  awaitingApproval: ['approve', 'promote', 'promoteFull', 'abort', 'rollback'],
  paused: ['resume', 'promote', 'promoteFull', 'abort', 'rollback'],
  holding: ['promote', 'promoteFull', 'abort', 'rollback'],
  completing: ['abort', 'rollback'],
  rollingBack: ['abort'],
  rolledBack: [],
  completed: [],
  aborted: [],
};

const PHASE_REASONS: Partial<Record<RolloutPhase, string>> = {
  pending: 'the rollout has not been created',
  rolledBack: 'the rollout has rolled back and is over; start a new rollout',
  completed: 'the rollout has completed and is over; start a new rollout',
  aborted: 'the rollout was aborted and is over; start a new rollout',
};

/** Why `command` makes no sense in `phase`, in a sentence that says what would. */
export function rejectionReason(phase: RolloutPhase, command: OperatorCommand): string {
  const over = PHASE_REASONS[phase];
  if (over) return over;
  const accepted = ACCEPTED_COMMANDS[phase].join(', ');
  const specific: Partial<Record<OperatorCommand, string>> = {
    resume: 'the rollout is not paused',
    pause:
      phase === 'paused'
        ? 'the rollout is already paused'
        : phase === 'awaitingApproval' || phase === 'holding'
          ? 'the rollout is already waiting for an operator'
          : `a rollout that is ${phase} cannot be paused`,
    approve: phase === 'paused' ? 'the rollout is paused; resume or promote it' : 'no stage is waiting for approval',
    rollback: 'the rollout is already rolling back',
    promote: phase === 'completing' ? 'the rollout is already completing' : 'a rollback cannot be promoted',
    promoteFull: phase === 'completing' ? 'the rollout is already completing' : 'a rollback cannot be promoted',
  };
  return `${specific[command] ?? `"${command}" is not accepted while ${phase}`} (accepted while ${phase}: ${accepted})`;
}

export function commandRejected(phase: RolloutPhase, command: OperatorCommand, at: number): NewDecisionEvent {
  return { type: 'command.rejected', at, data: { command, state: phase, reason: rejectionReason(phase, command) } };
}
