export { main } from "./cli/main.js";
export type { CliIo } from "./cli/main.js";
export { EXIT } from "./cli/exitCodes.js";
