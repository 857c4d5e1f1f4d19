import type { KubeObject } from './resourceTypes.js';
import { statusErrors } from './status.js';

export type ObjectFilter = (object: KubeObject) => boolean;

/** Field selectors the server supports for every kind: `metadata.name` and `metadata.namespace`, with =, == and !=. */
export function parseFieldSelector(text: string | null): ObjectFilter {
  if (!text) return () => true;
  const tests = text.split(',').map((term) => {
    const match = /^\s*([^!=\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!match) throw statusErrors.badRequest(`invalid field selector "${text}": "${term}" is not field=value or field!=value`);
    const [, field, operator, value] = match as unknown as [string, string, string, string];
    if (field !== 'metadata.name' && field !== 'metadata.namespace') throw statusErrors.badRequest(`"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    const key = field === 'metadata.name' ? 'name' : 'namespace';
    return (object: KubeObject): boolean => (object.metadata?.[key] === value) === (operator !== '!=');
  });
  return (object) => tests.every((test) => test(object));
}

/** Label selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`. */
export function parseLabelSelector(text: string | null): ObjectFilter {
  if (!text) return () => true;
  const terms = text.match(/([^,(]+(\([^)]*\))?)/g) ?? [];
  const tests = terms.map((raw) => {
    const term = raw.trim();
    let match: RegExpExecArray | null;
    if ((match = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const [, key, operator, list] = match as unknown as [string, string, string, string];
      const values = new Set(list.split(',').map((v) => v.trim()));
      return (labels: Record<string, string>): boolean => (key in labels && values.has(labels[key]!)) === (operator === 'in');
    }
    if ((match = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term))) {
      const [, key, operator, value] = match as unknown as [string, string, string, string];
      return (labels: Record<string, string>): boolean => (operator === '!=' ? labels[key] !== value : labels[key] === value);
    }
    if ((match = /^(!?)([\w./-]+)$/.exec(term))) {
      const [, not, key] = match as unknown as [string, string, string];
      return (labels: Record<string, string>): boolean => (key in labels) === (not === '');
    }
    throw statusErrors.badRequest(`unable to parse requirement "${term}" of label selector "${text}"`);
  });
  return (object) => {
    const labels = (object.metadata?.labels ?? {}) as Record<string, string>;
    return tests.every((test) => test(labels));
  };
}
