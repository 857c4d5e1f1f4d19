export { main } from "./cli/main.js";
export type { CliIo } from "./cli/main.js";
export { EXIT } from "./cli/exitCodes.js";
// Embedding the daemon (examples, tests, benchmarks): start it on a config, talk to it with the client.
export { Daemon } from './Daemon.js';
export type { DaemonOptions } from './Daemon.js';
export { resolveDaemonConfig, daemonConfigSchema, CONFIG_ENV } from './config/daemonConfig.js';
export type { DaemonConfig, DaemonConfigInput } from './config/daemonConfig.js';
export { ensureTokenFile, readTokenFile, defaultTokenFile } from './config/token.js';
export { createLogger } from './logger.js';
export { DaemonClient } from './client/DaemonClient.js';
export type { DaemonClientOptions, ApiAnswer } from './client/DaemonClient.js';
export { DaemonError, isDaemonError, httpStatusOf, codeOf, isErrorCode, HTTP_STATUS_BY_CODE } from './errors.js';
export type { DaemonErrorCode, ErrorCode } from './errors.js';
export { runDemo, DEMO_DEFAULTS } from './demo/runDemo.js';
export type { DemoOptions, DemoResult } from './demo/runDemo.js';
// For webhook receivers written in TypeScript: check `X-Sluice-Signature` and type the bodies (docs/notifications.md).
export { verifyWebhookSignature, signWebhookBody } from './notify/signature.js';
export type { WebhookBody } from './notify/webhookPayload.js';
export type { ApprovalPayload } from './notify/approvalChecker.js';
