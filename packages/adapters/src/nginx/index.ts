// Public API of @sluice/adapters/nginx: the adapter, its option schema, the include renderer and the access-log source.
export { createNginxAdapter } from './nginxAdapter.js';
export { nginxOptionsSchema, hashKeySchema } from './nginxOptions.js';
export type { NginxAdapterOptions, NginxOptions, HashKey } from './nginxOptions.js';
export { renderInclude, parseIncludeHeader, formatPercent, MARKER_PATH } from './renderInclude.js';
export { testConfig, fetchMarker } from './nginxControl.js';
export type { MarkerState, CommandResult } from './nginxControl.js';
export { createAccessLogTail, accessLogOptionsSchema, ACCESS_LOG_OPTIONS_LOCATION } from './accessLogTail.js';
export type { AccessLogTail, AccessLogOptions, AccessLogStats } from './accessLogTail.js';
export { parseAccessLogLine, splitUpstreamList, classifyAddress, SLUICE_LOG_FORMAT } from './accessLogLine.js';
export type { AccessLogMapping, LineResult } from './accessLogLine.js';
export { startPrivateNginx, findNginxBinary, freePort } from './privateNginx.js';
export type { PrivateNginx, PrivateNginxOptions } from './privateNginx.js';
