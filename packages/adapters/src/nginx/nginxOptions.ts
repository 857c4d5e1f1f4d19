import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { retryPolicySchema } from '../retrySchema.js';

const absolutePath = z.string().min(2).max(4_096).refine(isAbsolute, 'must be an absolute path').refine((p) => !/[\s;{}'"$\\]/.test(p), 'must not contain spaces, quotes, ";", "{", "}", "$" or "\\"');
/** nginx variable-safe identifiers: the names end up in `$cookie_NAME`, `$http_NAME`, `map` variables. */
const nginxName = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower-case letters, digits and "_", starting with a letter');
const headerName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9-]{0,62}$/, 'letters, digits and "-", starting with a letter')
  .transform((h) => h.toLowerCase());
const cookieName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, 'letters, digits and "_", starting with a letter (nginx exposes it as $cookie_NAME)');
/** An upstream{} block name or host:port; it is put after `http://` in proxy_pass. */
const upstreamTarget = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(:\d{1,5})?$/, 'an upstream block name or host:port, e.g. "app_stable" or "127.0.0.1:8081"');
const loopbackListen = z
  .string()
  .regex(/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):\d{1,5}$/, 'a loopback address and port, e.g. "127.0.0.1:8099"');

const fallbackSchema = z.enum(['request', 'client']).default('request').describe('Key used when the cookie or header is absent');

export const hashKeySchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('request') }).strict().describe('A new draw per request ($request_id)'),
    z.object({ kind: z.literal('client') }).strict().describe('Sticky by client address ($remote_addr)'),
    z.object({ kind: z.literal('cookie'), name: cookieName, fallback: fallbackSchema }).strict().describe('Sticky by a cookie'),
    z.object({ kind: z.literal('header'), name: headerName, fallback: fallbackSchema }).strict().describe('Sticky by a request header'),
  ])
  .default({ kind: 'request' });

export const nginxOptionsSchema = z
  .object({
    includePath: absolutePath.describe('The include file Sluice owns and rewrites'),
    mainConfigPath: absolutePath.describe('The main nginx.conf that includes it; tested with `nginx -t -c`'),
    pidFile: absolutePath.describe('pid file of the nginx master (the `pid` directive)'),
    binary: z.string().min(1).max(4_096).default('nginx').describe('nginx executable, a path or a name on PATH'),
    prefix: absolutePath.optional().describe('nginx prefix path (`-p`), when the instance runs with one'),
    globalDirectives: z.string().max(4_096).optional().describe('Directives the instance was started with through `-g`, repeated for `nginx -t`'),
    baselineUpstream: upstreamTarget.describe('Upstream of the stable version'),
    candidateUpstream: upstreamTarget.describe('Upstream of the candidate version'),
    markerListen: loopbackListen.describe('Loopback address:port of the marker server the include file declares'),
    hashKey: hashKeySchema.describe('What split_clients hashes'),
    overrideHeader: headerName.nullable().default('x-sluice-variant').describe('Request header forcing a variant (`always`/`never`); null disables'),
    overrideCookie: cookieName.nullable().default('sluice_variant').describe('Cookie forcing a variant (`always`/`never`); null disables'),
    variablePrefix: nginxName.default('sluice').describe('Prefix of the nginx variables the include file defines'),
    reloadWith: z.enum(['signal', 'command']).default('signal').describe('Reload by SIGHUP to the master from the pid file, or by `nginx -s reload`'),
    testTimeoutMs: z.int().min(100).max(120_000).default(15_000).describe('Time allowed for `nginx -t`'),
    verifyTimeoutMs: z.int().min(100).max(120_000).default(10_000).describe('Time allowed for new workers to serve the new generation after a reload'),
    verifyIntervalMs: z.int().min(5).max(5_000).default(25).describe('Interval between marker polls while verifying'),
    retry: retryPolicySchema.describe('Retries of reload + verify'),
  })
  .strict()
  .refine((o) => o.baselineUpstream !== o.candidateUpstream, { message: 'baselineUpstream and candidateUpstream must differ', path: ['candidateUpstream'] });

export type NginxAdapterOptions = z.input<typeof nginxOptionsSchema>;
export type NginxOptions = z.output<typeof nginxOptionsSchema>;
export type HashKey = z.output<typeof hashKeySchema>;
