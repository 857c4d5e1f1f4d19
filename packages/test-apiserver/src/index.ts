// Public API of @sluice/test-apiserver: the strict test API server tests and examples start in-process, its fault
// knobs and request record, and the bin's entry point.
export { startTestApiServer, ADMIN_PREFIX, BODY_BYTES_MAX } from './apiServer.js';
export type { TestApiServer, TestApiServerOptions, RecordedRequest, RequestHook } from './apiServer.js';
export { DEFAULT_FAULTS, mergeFaults } from './faults.js';
export type { Faults, ControllerFaults } from './faults.js';
export { CONTROLLER_NAME } from './gatewayController.js';
export { isAllowed } from './rbac.js';
export type { PolicyRule, RequestAttributes } from './rbac.js';
export { HTTP_ROUTE, VIRTUAL_SERVICE, INGRESS, RESOURCE_TYPES, apiVersionOf } from './resourceTypes.js';
export type { ResourceType, KubeObject } from './resourceTypes.js';
export { ApiStatusError } from './status.js';
export type { StatusBody, StatusCause } from './status.js';
export { kubeconfigFor } from './kubeconfig.js';
export { main, parseFlags } from './main.js';
