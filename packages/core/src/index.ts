// Public API of @sluice/core. Everything exported is named here; nothing internal leaks.
export { SluiceError, SpecValidationError, AppendConflictError, LogTamperedError, EventInvalidError, RolloutNotFoundError, RolloutExistsError, isSluiceError, isValidationError } from './errors.js';
export type { SluiceErrorCode, ErrorCodeFormat, ValidationIssue } from './errors.js';
export { parseDurationMs, formatDurationMs } from './duration.js';
export { parseSpecText, validateSpec, gateNameOf } from './spec/parseSpec.js';
export type { SpecValidationOptions } from './spec/parseSpec.js';
export { parseBoundedYaml, yamlBoundsProblem, jsonDepthProblem, expandedSizeProblem, SPEC_LIMITS, JSON_DEPTH_MAX } from './spec/boundedDocument.js';
export type { DocumentLimits, DocumentBoundsProblem, BoundedYaml } from './spec/boundedDocument.js';
export { WINDOW_MS_FLOOR, WINDOW_MS_MIN, WINDOW_MS_MAX, DURATION_MS_MAX } from './spec/durationSchema.js';
export { UNPRINTABLE } from './spec/textSchema.js';
export { formatPath, issuesFromZod, valueAtPath, shownValue, issueValue, listed, boundedIssues, ISSUES_LISTED_MAX } from './spec/validationIssues.js';
export { rolloutSpecSchema, ADAPTER_TYPES, NOTIFICATION_EVENTS } from './spec/specSchema.js';
export { gateSchema, GATE_KINDS } from './spec/gateSchema.js';
export { DEFAULT_STAGES } from './spec/defaultStages.js';
export type { RolloutSpec, RolloutSpecInput, StageSpec, GateConfig, RollbackSpec, AdapterRef, WebhookSpec } from './spec/specSchema.js';
export { INPUT_TYPES, DECISION_TYPES, EVENT_VERSIONS, OPERATOR_COMMANDS, isInputType, isDecisionType } from './events/eventTypes.js';
export type * from './events/eventTypes.js';
export { isErrorStatus } from './window.js';
export type { Variant, VariantWindow, SampleWindowData, RequestSample } from './window.js';
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
} from './histogram/index.js';
export type { LatencyHistogram } from './histogram/index.js';
export { EventLog, READ_PAGE_ROWS } from './log/EventLog.js';
export type { EventLogOptions, RolloutSummary, ChainInfo, ChainCheckpoint } from './log/EventLog.js';
export { verifyLog, verifyTail, ChainVerifier } from './log/verify.js';
export type { VerifyResult, BrokenLink } from './log/verify.js';
export { WriterLock, LogLockedError, readWriterHolder, describeHolder, lockFileOf, holderFileOf } from './log/writerLock.js';
export type { WriterIdentity } from './log/writerLock.js';
export { readChainKeyFile, chainKeyFromSecret, chainLink, headSeal, GENESIS_LINK, CHAIN_KEY_BYTES_MIN } from './log/logChain.js';
export type { ChainKey, ChainHead } from './log/logChain.js';
export { eventHash, GENESIS_HASH } from './log/eventHash.js';
export { SCHEMA_VERSION } from './log/migrations.js';
export { ROLLOUT_END_PHASES, ENDED_PAGE_MAX } from './log/rolloutLifecycle.js';
export type { RolloutLifecycle, RolloutEnd, RolloutEndType, RolloutCounts } from './log/rolloutLifecycle.js';
export { upgradeEventData, EVENT_UPGRADERS } from './events/upgrade.js';
export type { EventUpgrader, EventUpgraders } from './events/upgrade.js';
export { SampleRecorder, OPEN_WINDOWS_MAX } from './recorder/SampleRecorder.js';
export type { SampleRecorderOptions, DroppedSamples, ClosedWindow } from './recorder/SampleRecorder.js';
export type { AggregateSample } from './recorder/sampleChecks.js';
export { roundWeightPercent } from './adapter.js';
export type { TrafficAdapter, WeightState, AdapterHealth } from './adapter.js';
export type { GateEvaluator, GateContext, GateResult } from './judge/gate.js';
export { gateEvaluatorFor } from './judge/registry.js';
export { runSimulation, SIMULATION_EPOCH_MS } from './simulate/runSimulation.js';
export type { SimulationOptions } from './simulate/runSimulation.js';
export { inMemoryDriver, sessionDriver } from './simulate/rolloutDriver.js';
export type { RolloutDriver } from './simulate/rolloutDriver.js';
export { parseTrafficModel, trafficModelSchema } from './simulate/trafficModel.js';
export type { TrafficModel, TrafficModelInput, TrafficChange } from './simulate/trafficModel.js';
export type { SimulationResult, SimulationOutcome } from './simulate/simulationResult.js';
export type { LatencyDistribution } from './simulate/latencyDistribution.js';
export { planRollout, STANDARD_REGRESSIONS, PLAN_SEEDS_MAX, formatMultiplier } from './plan/planRollout.js';
export type { RolloutPlan, StagePlan, GatePlan, RegressionPlan, HealthyPlan, PlanOptions } from './plan/planRollout.js';
export { plannedTrafficOf, plannedTrafficFromFlags, plannedTrafficFromModel, plannedTrafficFromSpec, DEFAULT_PLANNED_LATENCY } from './plan/plannedTraffic.js';
export type { PlannedTraffic } from './plan/plannedTraffic.js';
export { planSummary } from './plan/planSummary.js';
export type { PlanSummary } from './plan/planSummary.js';
export { RolloutSession } from './rollout/RolloutSession.js';
export type { RolloutSessionOptions, RolloutLog } from './rollout/RolloutSession.js';
export type { RolloutView } from './machine/rolloutView.js';
export { APPEND_CONFLICT_RETRIES_MAX } from './rollout/RolloutSession.js';
export { rolloutView } from './machine/rolloutView.js';
export { decide, initialRolloutState, rolloutDecider } from './machine/rollout.js';
export { createRolloutDecider } from './machine/decider.js';
export type { RolloutState, RolloutDecider, RolloutDeciderOptions, RolloutDecision } from './machine/decider.js';
export { createRolloutMachine } from './machine/rolloutMachine.js';
export type { RolloutMachine } from './machine/rolloutMachine.js';
export { ROLLOUT_PHASES, TERMINAL_PHASES } from './machine/rolloutContext.js';
export type { RolloutPhase, RolloutOutcome, GateEvaluatorLookup } from './machine/rolloutContext.js';
export { ACCEPTED_COMMANDS } from './machine/commandRules.js';
export { replay, sameDecision, DIVERGENCES_KEPT_MAX } from './replay/replay.js';
export type { ReplayOptions, ReplayResult, ReplayLog, Divergence } from './replay/replay.js';
export { summarizeOutcome, compareOutcomes } from './replay/outcome.js';
export type { OutcomeKind, OutcomeSummary, OutcomeComparison } from './replay/outcome.js';
