/** One rule of a Role (rbac.authorization.k8s.io/v1 PolicyRule). */
export interface PolicyRule {
  apiGroups: string[];
  /** Resource names, `plural` or `plural/subresource`; `*` for all. */
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface RequestAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace: string;
  name?: string;
}

/**
 * RBAC as the API server evaluates a Role bound to the caller: a request is allowed when one rule matches its API group,
 * resource (with subresource), verb and, when the rule names some, the object's name. `list` and `watch` with a
 * `metadata.name` field selector count as naming that object, as the real authorizer does.
 */
export function isAllowed(rules: readonly PolicyRule[], request: RequestAttributes): boolean {
  const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  return rules.some(
    (rule) =>
      (rule.apiGroups.includes('*') || rule.apiGroups.includes(request.group)) &&
      (rule.resources.includes('*') || rule.resources.includes(resource)) &&
      (rule.verbs.includes('*') || rule.verbs.includes(request.verb)) &&
      (!rule.resourceNames || rule.resourceNames.length === 0 || (request.name !== undefined && rule.resourceNames.includes(request.name))),
  );
}
