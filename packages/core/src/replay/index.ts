/**
 * `@sluice/core/replay`: the event log, the rollout machine and replay — `@sluice/core` without the spec parser, the
 * simulator and the planner. Those three are built on zod and yaml (~170 modules, ~0.1 s of a process's start on a
 * 2-core machine); reading, replaying and auditing a log needs neither, because the log holds specs already validated.
 * For processes that start often and only read logs: `sluice replay`, `audit`, `report`, `status --db`, `events --db`
 * (docs/startup.md). `@sluice/core` re-exports this entry whole, so every name here is the same binding there
 * (replayEntry.int.test.ts checks both that and that importing this entry loads no zod and no yaml).
 */
export { SluiceError, SpecValidationError, AppendConflictError, LogTamperedError, EventInvalidError, RolloutNotFoundError, RolloutExistsError, isSluiceError, isValidationError } from '../errors.js';
export type { SluiceErrorCode, ErrorCodeFormat, ValidationIssue } from '../errors.js';
export { parseDurationMs, formatDurationMs } from '../duration.js';
export { gateNameOf } from '../spec/gateName.js';
export type { RolloutSpec, StageSpec, GateConfig, RollbackSpec, AdapterRef, WebhookSpec } from '../spec/specSchema.js';
export { INPUT_TYPES, DECISION_TYPES, EVENT_VERSIONS, OPERATOR_COMMANDS, isInputType, isDecisionType } from '../events/eventTypes.js';
export type * from '../events/eventTypes.js';
export { upgradeEventData, EVENT_UPGRADERS } from '../events/upgrade.js';
export { isErrorStatus } from '../window.js';
export type { Variant, VariantWindow, SampleWindowData, RequestSample } from '../window.js';
export {
  createLatencyHistogram,
  latencyMsToUs,
  recordLatencyMs,
  encodeLatencyHistogram,
  decodeLatencyHistogram,
  latencyQuantileMs,
  countSlowerThanMs,
  mergeHistograms,
  LATENCY_US_MAX,
  LATENCY_SIGNIFICANT_DIGITS,
} from '../histogram/index.js';
export type { LatencyHistogram } from '../histogram/index.js';
export { EventLog, READ_PAGE_ROWS } from '../log/EventLog.js';
export type { EventLogOptions, RolloutSummary, ChainInfo, ChainCheckpoint } from '../log/EventLog.js';
export { verifyLog, verifyTail, ChainVerifier } from '../log/verify.js';
export type { VerifyResult, BrokenLink } from '../log/verify.js';
export { readChainKeyFile } from '../log/logChain.js';
export type { ChainKey } from '../log/logChain.js';
export { ROLLOUT_END_PHASES } from '../log/rolloutLifecycle.js';
export type { RolloutLifecycle, RolloutEnd, RolloutEndType, RolloutCounts } from '../log/rolloutLifecycle.js';
export { RolloutSession } from '../rollout/RolloutSession.js';
export type { RolloutView } from '../machine/rolloutView.js';
export { rolloutView } from '../machine/rolloutView.js';
export { decide, initialRolloutState, rolloutDecider } from '../machine/rollout.js';
export type { RolloutState, RolloutDecision } from '../machine/decider.js';
export { ROLLOUT_PHASES, TERMINAL_PHASES } from '../machine/rolloutContext.js';
export type { RolloutPhase, RolloutOutcome } from '../machine/rolloutContext.js';
export { replay, sameDecision, DIVERGENCES_KEPT_MAX } from './replay.js';
export type { ReplayOptions, ReplayResult, ReplayLog, Divergence } from './replay.js';
export { summarizeOutcome, compareOutcomes } from './outcome.js';
export type { OutcomeKind, OutcomeSummary, OutcomeComparison } from './outcome.js';
