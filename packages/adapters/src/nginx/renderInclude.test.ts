import { describe, expect, it } from 'vitest';
import { nginxOptionsSchema } from './nginxOptions.js';
import { formatPercent, parseIncludeHeader, parseSplitWeight, renderInclude } from './renderInclude.js';

const base = nginxOptionsSchema.parse({
  includePath: '/etc/nginx/sluice.conf',
  mainConfigPath: '/etc/nginx/nginx.conf',
  pidFile: '/run/nginx.pid',
  baselineUpstream: 'app_stable',
  candidateUpstream: 'app_candidate',
  markerListen: '127.0.0.1:8099',
});

describe('renderInclude', () => {
  it('lists the canary bucket first so raising the weight only adds clients to it', () => {
    const text = renderInclude(base, { weightPercent: 12.5, generation: 7 }, 'r1');
    expect(text).toMatch(/split_clients "\$request_id" \$sluice_split \{\n {4}12\.5% canary;\n {4}\* baseline;\n\}/);
    expect(text).toContain(`return 200 '{"weightPercent":12.5,"generation":7,"pid":$pid}';`);
    expect(text).toContain('listen 127.0.0.1:8099;');
    expect(text).toMatch(/map \$sluice_variant \$sluice_upstream \{\n {4}canary app_candidate;\n {4}default app_stable;/);
    expect(parseIncludeHeader(text)).toEqual({ weightPercent: 12.5, generation: 7 });
  });

  it('never writes a 0% bucket: weight 0 and 100 have a single bucket', () => {
    const zero = renderInclude(base, { weightPercent: 0, generation: 1 }, 'r1');
    const full = renderInclude(base, { weightPercent: 100, generation: 2 }, 'r1');
    expect(zero).not.toMatch(/\b0%/);
    expect(zero).toMatch(/\$sluice_split \{\n {4}\* baseline;\n\}/);
    expect(full).toMatch(/\$sluice_split \{\n {4}\* canary;\n\}/);
    expect(full).not.toContain('100%');
  });

  it('reads the split weight back from a file, whatever its header says', () => {
    for (const weightPercent of [0, 0.01, 12.5, 100]) {
      expect(parseSplitWeight(renderInclude(base, { weightPercent, generation: 1 }, 'r'))).toBe(weightPercent);
    }
    const edited = renderInclude(base, { weightPercent: 10, generation: 1 }, 'r').replace('10% canary', '40% canary');
    expect(parseSplitWeight(edited)).toBe(40);
    expect(parseSplitWeight('# nothing here')).toBeUndefined();
  });

  it('formats two decimals without trailing zeros', () => {
    expect([0.01, 0.1, 1, 12.34, 99.99].map(formatPercent)).toEqual(['0.01', '0.1', '1', '12.34', '99.99']);
  });

  it('hashes a sticky cookie or header with a fallback key via map', () => {
    const cookie = renderInclude({ ...base, hashKey: { kind: 'cookie', name: 'session_id', fallback: 'client' } }, { weightPercent: 5, generation: 1 }, 'r');
    expect(cookie).toMatch(/map \$cookie_session_id \$sluice_hash_key \{\n {4}"" \$remote_addr;\n {4}default \$cookie_session_id;/);
    expect(cookie).toContain('split_clients "$sluice_hash_key"');
    const header = renderInclude({ ...base, hashKey: { kind: 'header', name: 'x-user-id', fallback: 'request' } }, { weightPercent: 5, generation: 1 }, 'r');
    expect(header).toMatch(/map \$http_x_user_id \$sluice_hash_key \{\n {4}"" \$request_id;/);
    expect(renderInclude({ ...base, hashKey: { kind: 'client' } }, { weightPercent: 5, generation: 1 }, 'r')).toContain('split_clients "$remote_addr"');
  });

  it('lets the override header win over the cookie, and can disable both', () => {
    const text = renderInclude(base, { weightPercent: 5, generation: 1 }, 'r');
    expect(text).toContain('map $http_x_sluice_variant $sluice_override_header {');
    expect(text).toContain('map $cookie_sluice_variant $sluice_override_cookie {');
    const combined = text.slice(text.indexOf('map "$sluice_override_header:$sluice_override_cookie"'));
    expect(combined.indexOf('~^canary:')).toBeLessThan(combined.indexOf('~:canary$'));
    const none = renderInclude({ ...base, overrideHeader: null, overrideCookie: null }, { weightPercent: 5, generation: 1 }, 'r');
    expect(none).toContain('map ":" $sluice_variant {\n    default $sluice_split;\n}');
  });

  it('uses the variable prefix everywhere', () => {
    const text = renderInclude({ ...base, variablePrefix: 'checkout' }, { weightPercent: 5, generation: 1 }, 'r');
    expect(text).not.toContain('$sluice_');
    expect(text).toContain('$checkout_upstream');
  });
});

describe('nginx options', () => {
  it('reject bad paths, names and listen addresses with the option path and what is allowed', () => {
    const bad = nginxOptionsSchema.safeParse({ ...base, includePath: 'relative.conf', markerListen: '0.0.0.0:80', hashKey: { kind: 'cookie', name: 'bad name' }, candidateUpstream: 'app_stable' });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['includePath', 'markerListen', 'hashKey.name']));
  });
});
