import type { ControllerFaults } from './faults.js';
import type { ObjectOperations } from './objects.js';
import { HTTP_ROUTE, type KubeObject } from './resourceTypes.js';
import type { ObjectStore, StoreEvent } from './store.js';

export const CONTROLLER_NAME = 'sluice.dev/test-gateway-controller';

/**
 * A small gateway controller: for every HTTPRoute change it writes, through the `/status` subresource,
 * `status.parents[]` for each `spec.parentRefs[]` with an `Accepted` and a `ResolvedRefs` condition carrying the route's
 * `observedGeneration` — what a Gateway API implementation does once its data plane has the route. Its faults: a delay,
 * never writing status, or rejecting with a reason.
 */
export class GatewayController {
  readonly #store: ObjectStore;
  readonly #operations: ObjectOperations;
  readonly #faults: () => ControllerFaults;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #unsubscribe: () => void;

  constructor(store: ObjectStore, operations: ObjectOperations, faults: () => ControllerFaults) {
    this.#store = store;
    this.#operations = operations;
    this.#faults = faults;
    this.#unsubscribe = store.subscribe((event) => this.#onEvent(event));
  }

  close(): void {
    this.#unsubscribe();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #onEvent(event: StoreEvent): void {
    if (event.resource !== HTTP_ROUTE || event.type === 'DELETED') return;
    const faults = this.#faults();
    if (faults.mode === 'never' || isReconciled(event.object, faults)) return;
    const namespace = event.namespace;
    const name = String(event.object.metadata?.name);
    const run = (): void => this.#reconcile(namespace, name);
    // Even without a delay the status is written after the change's answer, as by a controller in another process.
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, faults.delayMs);
    this.#timers.add(timer);
  }

  /** Reads the route as it is now (later changes win) and writes its status unless it is already up to date. */
  #reconcile(namespace: string, name: string): void {
    const faults = this.#faults();
    const route = this.#store.get(HTTP_ROUTE, namespace, name);
    if (!route || faults.mode === 'never' || isReconciled(route, faults)) return;
    const status = statusFor(route, faults);
    try {
      this.#operations.patch(HTTP_ROUTE, namespace, name, 'application/merge-patch+json', JSON.stringify({ status }), 'status', { dryRun: false });
    } catch {
      // The route changed or went away meanwhile: its next event reconciles it again.
    }
  }
}

interface ParentRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  sectionName?: string;
  port?: number;
}

function parentRefsOf(route: KubeObject): ParentRef[] {
  const refs = (route.spec as { parentRefs?: unknown } | undefined)?.parentRefs;
  return Array.isArray(refs) ? (refs as ParentRef[]) : [];
}

function statusFor(route: KubeObject, faults: ControllerFaults): Record<string, unknown> {
  const generation = Number(route.metadata?.generation ?? 1);
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const previous = ((route.status as { parents?: { parentRef: ParentRef; controllerName: string; conditions?: { type: string; status: string; lastTransitionTime?: string }[] }[] } | undefined)?.parents ?? []);
  const others = previous.filter((p) => p.controllerName !== CONTROLLER_NAME);
  const accepted = faults.mode === 'accept';
  const parents = parentRefsOf(route).map((parentRef) => {
    const before = previous.find((p) => p.controllerName === CONTROLLER_NAME && sameParent(p.parentRef, parentRef));
    const condition = (type: string, status: string, reason: string, message: string): Record<string, unknown> => {
      const earlier = before?.conditions?.find((c) => c.type === type);
      return { type, status, reason, message, observedGeneration: generation, lastTransitionTime: earlier && earlier.status === status && earlier.lastTransitionTime ? earlier.lastTransitionTime : now };
    };
    return {
      parentRef,
      controllerName: CONTROLLER_NAME,
      conditions: [
        accepted ? condition('Accepted', 'True', 'Accepted', 'Route is accepted') : condition('Accepted', 'False', faults.reason, faults.message),
        condition('ResolvedRefs', 'True', 'ResolvedRefs', 'All references are resolved'),
      ],
    };
  });
  return { parents: [...others, ...parents] };
}

/** Whether this controller's entries already say what it would write for the route's generation. */
function isReconciled(route: KubeObject, faults: ControllerFaults): boolean {
  const generation = Number(route.metadata?.generation ?? 1);
  const parents = ((route.status as { parents?: { parentRef: ParentRef; controllerName: string; conditions?: { type: string; status: string; reason?: string; observedGeneration?: number }[] }[] } | undefined)?.parents ?? []).filter(
    (p) => p.controllerName === CONTROLLER_NAME,
  );
  const refs = parentRefsOf(route);
  if (parents.length !== refs.length) return false;
  const wantStatus = faults.mode === 'accept' ? 'True' : 'False';
  return refs.every((ref) => {
    const entry = parents.find((p) => sameParent(p.parentRef, ref));
    const accepted = entry?.conditions?.find((c) => c.type === 'Accepted');
    return accepted !== undefined && accepted.status === wantStatus && accepted.observedGeneration === generation && (faults.mode === 'accept' || accepted.reason === faults.reason);
  });
}

function sameParent(a: ParentRef, b: ParentRef): boolean {
  return a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '') && (a.sectionName ?? '') === (b.sectionName ?? '') && (a.port ?? 0) === (b.port ?? 0) && (a.kind ?? 'Gateway') === (b.kind ?? 'Gateway');
}
