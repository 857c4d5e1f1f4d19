import type { KubeObject } from './weightedRules.js';

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

interface ParentStatus {
  parentRef?: { name?: string; namespace?: string; sectionName?: string; kind?: string };
  controllerName?: string;
  conditions?: Condition[];
}

export type Acceptance = { accepted: true } | { accepted: false; reason: string };

/**
 * Whether every parent (Gateway) has accepted the route at its current generation, as Flagger's Gateway API router
 * checks (`GetRoutes`): each `status.parents[]` must have `Accepted=True` with `observedGeneration ≥
 * metadata.generation`, and each `spec.parentRefs[]` must have such an entry (a route no controller has seen yet, or
 * one without parents, serves no traffic). The reason names the parent and its condition's reason and message.
 */
export function acceptanceOf(route: KubeObject): Acceptance {
  const generation = Number(route.metadata?.generation ?? 0);
  const parentRefs = (((route.spec as { parentRefs?: unknown } | undefined)?.parentRefs ?? []) as ParentStatus['parentRef'][]) ?? [];
  const parents = ((route.status as { parents?: ParentStatus[] } | undefined)?.parents ?? []) as ParentStatus[];
  if (!Array.isArray(parentRefs) || parentRefs.length === 0) return { accepted: false, reason: 'the route has no spec.parentRefs, so no Gateway serves it' };
  for (const ref of parentRefs) {
    if (!parents.some((p) => sameParent(p.parentRef, ref))) return { accepted: false, reason: `parent ${describeParent(ref)} has not reported any status yet (is its gateway controller running?)` };
  }
  for (const parent of parents) {
    const name = describeParent(parent.parentRef);
    const accepted = parent.conditions?.find((c) => c.type === 'Accepted');
    if (!accepted) return { accepted: false, reason: `parent ${name} (${parent.controllerName ?? 'unknown controller'}) has no Accepted condition` };
    const observed = Number(accepted.observedGeneration ?? 0);
    if (observed < generation) return { accepted: false, reason: `parent ${name} (${parent.controllerName ?? 'unknown controller'}) has observed generation ${observed}, not yet ${generation}` };
    if (accepted.status !== 'True') {
      return { accepted: false, reason: `parent ${name} (${parent.controllerName ?? 'unknown controller'}) reports Accepted=${accepted.status ?? '?'}, reason ${accepted.reason ?? '?'}: ${accepted.message ?? '(no message)'}` };
    }
  }
  return { accepted: true };
}

function sameParent(a: ParentStatus['parentRef'], b: ParentStatus['parentRef']): boolean {
  return a?.name === b?.name && (a?.namespace ?? '') === (b?.namespace ?? '') && (a?.sectionName ?? '') === (b?.sectionName ?? '');
}

function describeParent(ref: ParentStatus['parentRef']): string {
  return `${ref?.kind ?? 'Gateway'} ${ref?.namespace ? `${ref.namespace}/` : ''}${ref?.name ?? '?'}${ref?.sectionName ? ` (section ${ref.sectionName})` : ''}`;
}
