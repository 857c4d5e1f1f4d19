import type { WeightState } from '@sluice/core';
import type { HashKey, NginxOptions } from './nginxOptions.js';

/** Path of the generation marker the include file serves on `markerListen`. */
export const MARKER_PATH = '/_sluice/generation';

type RenderOptions = Pick<NginxOptions, 'baselineUpstream' | 'candidateUpstream' | 'markerListen' | 'hashKey' | 'overrideHeader' | 'overrideCookie' | 'variablePrefix'>;

/** `12.5` → `12.5`, `0.1` → `0.1`, `33.333` never happens (weights are rounded to two decimals before). */
export function formatPercent(weightPercent: number): string {
  return weightPercent.toFixed(2).replace(/\.?0+$/, '');
}

/**
 * Renders the include file (http context). It defines `$<prefix>_variant` (`canary` or `baseline`) and
 * `$<prefix>_upstream` (the upstream to proxy to), and a small loopback server answering the generation marker with
 * the weight, the generation and the pid of the worker that answered — the adapter's proof that a reload took effect.
 *
 * The canary bucket is listed first in split_clients, so its hash range is [0, weight) and raising the weight only adds
 * clients to the canary. nginx rejects a `0%` bucket, so weight 0 and 100 have a single `*` bucket.
 */
export function renderInclude(options: RenderOptions, state: WeightState, rolloutId: string): string {
  const p = options.variablePrefix;
  const percent = formatPercent(state.weightPercent);
  const lines: string[] = [
    `# Managed by Sluice for rollout "${rolloutId}". Rewritten on every weight change; edits are overwritten.`,
    `# sluice: weightPercent=${percent} generation=${state.generation}`,
    '',
    ...renderHashKey(options.hashKey, p),
    `split_clients "${hashKeyVariable(options.hashKey, p)}" $${p}_split {`,
    ...(state.weightPercent <= 0 ? ['    * baseline;'] : state.weightPercent >= 100 ? ['    * canary;'] : [`    ${percent}% canary;`, '    * baseline;']),
    '}',
    '',
    ...renderOverride(options, p),
    `map $${p}_variant $${p}_upstream {`,
    `    canary ${options.candidateUpstream};`,
    `    default ${options.baselineUpstream};`,
    '}',
    '',
    'server {',
    `    listen ${options.markerListen};`,
    '    access_log off;',
    `    location = ${MARKER_PATH} {`,
    '        default_type application/json;',
    '        add_header Cache-Control no-store always;',
    `        return 200 '{"weightPercent":${percent},"generation":${state.generation},"pid":$pid}';`,
    '    }',
    '    location / {',
    '        return 404;',
    '    }',
    '}',
    '',
  ];
  return lines.join('\n');
}

function hashKeyVariable(hashKey: HashKey, p: string): string {
  switch (hashKey.kind) {
    case 'request':
      return '$request_id';
    case 'client':
      return '$remote_addr';
    default:
      return `$${p}_hash_key`;
  }
}

function fallbackVariable(fallback: 'request' | 'client'): string {
  return fallback === 'request' ? '$request_id' : '$remote_addr';
}

function renderHashKey(hashKey: HashKey, p: string): string[] {
  if (hashKey.kind !== 'cookie' && hashKey.kind !== 'header') return [];
  const source = hashKey.kind === 'cookie' ? `$cookie_${hashKey.name}` : `$http_${hashKey.name.replace(/-/g, '_')}`;
  return [`map ${source} $${p}_hash_key {`, `    "" ${fallbackVariable(hashKey.fallback)};`, `    default ${source};`, '}', ''];
}

const OVERRIDE_VALUES = ['    default "";', '    ~*^(always|canary)$ canary;', '    ~*^(never|baseline)$ baseline;'];

/**
 * `$<p>_variant` is the override when one is given, else the split. The header is checked before the cookie: a
 * tester's explicit header is the more deliberate choice. Both maps feed one map keyed by "header:cookie".
 */
function renderOverride(options: RenderOptions, p: string): string[] {
  const lines: string[] = [];
  if (options.overrideHeader) {
    lines.push(`map $http_${options.overrideHeader.replace(/-/g, '_')} $${p}_override_header {`, ...OVERRIDE_VALUES, '}', '');
  }
  if (options.overrideCookie) {
    lines.push(`map $cookie_${options.overrideCookie} $${p}_override_cookie {`, ...OVERRIDE_VALUES, '}', '');
  }
  const header = options.overrideHeader ? `$${p}_override_header` : '';
  const cookie = options.overrideCookie ? `$${p}_override_cookie` : '';
  lines.push(`map "${header}:${cookie}" $${p}_variant {`);
  if (header) lines.push('    ~^canary: canary;', '    ~^baseline: baseline;');
  if (cookie) lines.push('    ~:canary$ canary;', '    ~:baseline$ baseline;');
  lines.push(`    default $${p}_split;`, '}', '');
  return lines;
}

/** Reads the `# sluice:` header of an include file written by renderInclude; undefined when absent. */
export function parseIncludeHeader(text: string): WeightState | undefined {
  const match = /^# sluice: weightPercent=([0-9.]+) generation=(\d+)$/m.exec(text);
  if (!match) return undefined;
  return { weightPercent: Number(match[1]), generation: Number(match[2]) };
}

/**
 * The canary weight the split_clients block of an include file gives, whatever its header says: `12.5% canary;` →
 * 12.5, a single `* canary;` → 100, a single `* baseline;` → 0. Undefined when the file has no such block.
 */
export function parseSplitWeight(text: string): number | undefined {
  const block = /split_clients\s+"[^"]*"\s+\$\w+_split\s*\{([^}]*)\}/.exec(text)?.[1];
  if (block === undefined) return undefined;
  const percent = /([0-9]+(?:\.[0-9]+)?)%\s+canary\s*;/.exec(block);
  if (percent) return Number(percent[1]);
  if (/\*\s+canary\s*;/.test(block)) return 100;
  if (/\*\s+baseline\s*;/.test(block)) return 0;
  return undefined;
}
