export { main } from "./cli/main.js";
export type { CliIo } from "./cli/main.js";
export { EXIT } from "./cli/exitCodes.js";
// For webhook receivers written in TypeScript: check `X-Sluice-Signature` and type the bodies (docs/notifications.md).
export { verifyWebhookSignature, signWebhookBody } from './notify/signature.js';
export type { WebhookBody } from './notify/webhookPayload.js';
export type { ApprovalPayload } from './notify/approvalChecker.js';
