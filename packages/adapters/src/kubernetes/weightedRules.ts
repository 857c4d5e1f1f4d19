import type { WeightState } from '@sluice/core';
import { GENERATION_ANNOTATION, type KubernetesOptions } from './kubernetesOptions.js';

/** A Kubernetes object as JSON. */
export type KubeObject = { metadata?: { name?: string; namespace?: string; resourceVersion?: string; generation?: number; annotations?: Record<string, string> } } & Record<string, unknown>;

/** Something in the object is not what the options describe: the message says what and what to do. */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/** A conditional write: a JSON Patch with `test`s, or a merge patch carrying metadata.resourceVersion. */
export interface PlannedWrite {
  contentType: 'application/json-patch+json' | 'application/merge-patch+json';
  body: unknown;
}

/**
 * The two kinds that split traffic between backends listed in rules: HTTPRoute (`spec.rules[].backendRefs[]`, weights
 * in basis points so 0.01% steps are exact) and VirtualService (`spec.http[].route[]`, whole percents only).
 */
interface RuleLayout {
  kind: 'HTTPRoute' | 'VirtualService';
  rulesKey: 'rules' | 'http';
  backendsKey: 'backendRefs' | 'route';
  /** JSON Pointer, below one backend, of the name Sluice matches (and `test`s before it writes). */
  namePointer: string;
  backendName(backend: Record<string, unknown>): unknown;
  /** What the weights of the two backends add up to when Sluice writes them. */
  scale: number;
  /** Weight of a backend that has none. */
  absentWeight(backendCount: number): number;
  ruleWord: string;
}

export const HTTP_ROUTE_LAYOUT: RuleLayout = {
  kind: 'HTTPRoute',
  rulesKey: 'rules',
  backendsKey: 'backendRefs',
  namePointer: '/name',
  backendName: (b) => b.name,
  scale: 10_000,
  absentWeight: () => 1, // the CRD's default
  ruleWord: 'rule',
};

export const VIRTUAL_SERVICE_LAYOUT: RuleLayout = {
  kind: 'VirtualService',
  rulesKey: 'http',
  backendsKey: 'route',
  namePointer: '/destination/host',
  backendName: (b) => (b.destination as { host?: unknown } | undefined)?.host,
  scale: 100,
  absentWeight: (count) => (count === 1 ? 100 : 0),
  ruleWord: 'http route',
};

interface Located {
  ruleIndex: number;
  stableIndex: number;
  canaryIndex: number;
  stableWeight: number | undefined;
  canaryWeight: number | undefined;
  backendCount: number;
}

/** Finds the rule Sluice owns and the two backends in it; throws a TargetError naming what is missing. */
export function locateRule(layout: RuleLayout, object: KubeObject, options: KubernetesOptions): Located {
  const where = `${layout.kind} ${object.metadata?.namespace ?? options.namespace}/${object.metadata?.name ?? options.name}`;
  const rules = ((object.spec as Record<string, unknown> | undefined)?.[layout.rulesKey] ?? []) as Record<string, unknown>[];
  if (!Array.isArray(rules)) throw new TargetError(`${where}: spec.${layout.rulesKey} is not a list`);
  const stable = options.stableBackend!;
  const canary = options.canaryBackend!;
  const backendsOf = (rule: Record<string, unknown>): Record<string, unknown>[] => (Array.isArray(rule?.[layout.backendsKey]) ? (rule[layout.backendsKey] as Record<string, unknown>[]) : []);
  const namesBoth = (rule: Record<string, unknown>): boolean => {
    const names = backendsOf(rule).map((b) => layout.backendName(b));
    return names.includes(stable) && names.includes(canary);
  };
  let ruleIndex: number;
  if (options.rule !== undefined) {
    ruleIndex = rules.findIndex((r) => r?.name === options.rule);
    if (ruleIndex < 0) {
      const names = rules.map((r) => r?.name).filter((n) => typeof n === 'string');
      throw new TargetError(`${where} has no ${layout.ruleWord} named "${options.rule}" (named ones: ${names.length ? names.map((n) => `"${String(n)}"`).join(', ') : 'none'}); fix adapter.options.rule`);
    }
    if (!namesBoth(rules[ruleIndex]!)) throw new TargetError(`${where}: ${layout.ruleWord} "${options.rule}" does not route to both "${stable}" and "${canary}"; add both to it or fix stableBackend/canaryBackend`);
  } else {
    const candidates = rules.map((r, i) => (namesBoth(r) ? i : -1)).filter((i) => i >= 0);
    if (candidates.length === 0) throw new TargetError(`${where}: no ${layout.ruleWord} routes to both "${stable}" and "${canary}"; add both backends to the ${layout.ruleWord} Sluice should own, or fix stableBackend/canaryBackend`);
    if (candidates.length > 1) {
      const labels = candidates.map((i) => (typeof rules[i]?.name === 'string' ? `"${String(rules[i]!.name)}"` : `#${i} (unnamed)`));
      throw new TargetError(`${where}: ${candidates.length} ${layout.ruleWord}s route to both backends (${labels.join(', ')}); name the one Sluice owns with adapter.options.rule`);
    }
    ruleIndex = candidates[0]!;
  }
  const backends = backendsOf(rules[ruleIndex]!);
  const stableIndex = backends.findIndex((b) => layout.backendName(b) === stable);
  const canaryIndex = backends.findIndex((b) => layout.backendName(b) === canary);
  const others = backends.filter((b, i) => i !== stableIndex && i !== canaryIndex && weightOf(b, layout, backends.length) > 0);
  if (others.length > 0) {
    throw new TargetError(`${where}: the ${layout.ruleWord} Sluice owns also sends traffic to ${others.map((b) => `"${String(layout.backendName(b))}"`).join(', ')}; Sluice owns the split between the stable and canary backends only — set their weight to 0 or move them to another ${layout.ruleWord}`);
  }
  return {
    ruleIndex,
    stableIndex,
    canaryIndex,
    stableWeight: rawWeight(backends[stableIndex]!),
    canaryWeight: rawWeight(backends[canaryIndex]!),
    backendCount: backends.length,
  };
}

/** The canary share the object holds, and the generation annotation. */
export function readRuleState(layout: RuleLayout, object: KubeObject, options: KubernetesOptions): WeightState {
  const located = locateRule(layout, object, options);
  const stable = located.stableWeight ?? layout.absentWeight(located.backendCount);
  const canary = located.canaryWeight ?? layout.absentWeight(located.backendCount);
  const total = stable + canary;
  if (total <= 0) throw new TargetError(`${layout.kind} ${options.namespace}/${options.name}: both backends have weight 0, so the route answers 500 to every request; set the stable backend's weight`);
  return { weightPercent: Math.round((canary * 10_000) / total) / 100, generation: generationOf(object) };
}

/** The JSON Patch that makes the object hold `want`, or undefined when it already does (then nothing is written). */
export function planRuleWrite(layout: RuleLayout, object: KubeObject, options: KubernetesOptions, want: WeightState): PlannedWrite | undefined {
  const located = locateRule(layout, object, options);
  const canary = Math.round((want.weightPercent * layout.scale) / 100);
  if (Math.abs((canary * 100) / layout.scale - want.weightPercent) > 1e-9) {
    throw new TargetError(`${layout.kind} weights are whole percents; ${want.weightPercent}% cannot be written (use ${Math.floor(want.weightPercent)} or ${Math.ceil(want.weightPercent)})`);
  }
  const stable = layout.scale - canary;
  const generation = String(want.generation);
  if (located.stableWeight === stable && located.canaryWeight === canary && object.metadata?.annotations?.[GENERATION_ANNOTATION] === generation) return undefined;
  const rule = `/spec/${layout.rulesKey}/${located.ruleIndex}`;
  const backend = (index: number): string => `${rule}/${layout.backendsKey}/${index}`;
  const operations: Record<string, unknown>[] = [
    { op: 'test', path: '/metadata/resourceVersion', value: object.metadata?.resourceVersion },
    ...(options.rule !== undefined ? [{ op: 'test', path: `${rule}/name`, value: options.rule }] : []),
    { op: 'test', path: `${backend(located.stableIndex)}${layout.namePointer}`, value: options.stableBackend },
    { op: 'test', path: `${backend(located.canaryIndex)}${layout.namePointer}`, value: options.canaryBackend },
    // `add` replaces a member that exists and creates one that does not (a backend written without a weight).
    { op: 'add', path: `${backend(located.stableIndex)}/weight`, value: stable },
    { op: 'add', path: `${backend(located.canaryIndex)}/weight`, value: canary },
    generationOperation(object, generation),
  ];
  return { contentType: 'application/json-patch+json', body: operations };
}

export function generationOf(object: KubeObject): number {
  const text = object.metadata?.annotations?.[GENERATION_ANNOTATION];
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : 0;
}

function generationOperation(object: KubeObject, generation: string): Record<string, unknown> {
  const annotations = object.metadata?.annotations;
  if (annotations === undefined || annotations === null) return { op: 'add', path: '/metadata/annotations', value: { [GENERATION_ANNOTATION]: generation } };
  return { op: 'add', path: `/metadata/annotations/${GENERATION_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1')}`, value: generation };
}

function rawWeight(backend: Record<string, unknown>): number | undefined {
  return typeof backend.weight === 'number' ? backend.weight : undefined;
}

function weightOf(backend: Record<string, unknown>, layout: RuleLayout, count: number): number {
  return rawWeight(backend) ?? layout.absentWeight(count);
}
