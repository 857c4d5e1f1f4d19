import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';

/**
 * Inputs for the fuzz suites (docs/reliability.md, "Fuzzing the inputs"): every HTTP endpoint and the CLI's files, in
 * three families — structured (valid shapes with one value mutated), adversarial (depth, size, aliases, unicode,
 * control characters, numbers like 1e309) and raw bytes. Every URL they can produce points at loopback or is not
 * http(s): an accepted fuzzed spec makes the daemon call it.
 */

/** A request the HTTP fuzzer sends. `body` is bytes so raw cases can send invalid UTF-8. */
export interface FuzzRequest {
  family: 'structured' | 'adversarial' | 'raw';
  endpoint: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** Rollouts the fuzzer keeps: one takes only samples, one only pushed windows, so what they accepted can be counted. */
export const SAMPLES_ROLLOUT = 'fz-samples';
export const WINDOWS_ROLLOUT = 'fz-windows';
/** Fuzzed specs use these few ids, so accepted ones are idempotent repeats or conflicts, not thousands of rollouts. */
const SPEC_IDS = ['fz-a', 'fz-b', 'fz-c', 'fz-d', SAMPLES_ROLLOUT, 'Bad Id', '', 'x'.repeat(200)];
export const FUZZ_WINDOW_MS = 1_000;

export function ledgerSpec(id: string): string {
  return JSON.stringify({ id, service: 'fuzz', baseline: 'v1', candidate: 'v2', window: FUZZ_WINDOW_MS, stages: [{ name: 'canary', weightPercent: 10, durationMin: '30d', samplesMin: 10, gates: [] }] });
}

/** Values that broke parsers before, or could: extremes, wrong types, control and bidi characters, deep nesting. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -1, 1, 0.5, 1e-300, 1e21, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, -0, 1e308),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty'),
  fc.constantFrom('', ' ', '0', '1e309', '-1', 'NaN', 'Infinity', '5x', '1h30m', '0ms', '99999999999999999999d', 'null', 'true'),
  fc.constantFrom('\u0000', '\u001b[2J\u001b[H', 'a\nb', '\u202egnp.exe', '\u0085', '\ud800', '🦀'.repeat(50), 'é', '\u2028'),
  fc.constantFrom('file:///etc/passwd', 'http://127.0.0.1:9/hook', 'https://[::1]:9/x', 'gopher://127.0.0.1:9/', 'javascript:alert(1)', 'data:text/plain,x', 'http://', 'http://localhost:9/'),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constant('y'.repeat(70_000)),
  fc.constantFrom(null, true, false, [], {}, [[[[[]]]]], { a: { b: { c: {} } } }),
  // Deep, though not so deep that the test's own serializers (yaml.stringify) overflow: the adversarial family goes further.
  fc.nat(500).map((depth) => deepArray(depth)),
);

function deepArray(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** A valid spec of the fuzz family, every section present so that each field can be mutated. */
function baseSpec(id: string): Record<string, unknown> {
  return {
    id,
    service: 'checkout',
    baseline: 'v1',
    candidate: 'v2',
    window: '1s',
    stages: [
      {
        name: 'canary',
        weightPercent: 5,
        durationMin: '30d',
        durationMax: '60d',
        samplesMin: 100,
        onMaxDuration: { action: 'extend', extendBy: '1h', extensionsMax: 2 },
        gates: [
          { kind: 'errorRate', maxPercent: 5, sustainWindows: 2, samplesMin: 20, confidence: 0.99 },
          { kind: 'latency', quantile: 0.99, maxMs: 500 },
          { kind: 'compareErrorRate', alpha: 0.05, tolerance: 0.2 },
          { kind: 'compareLatency', thresholdMs: 200 },
          { kind: 'sampleRatio', alpha: 0.001 },
          { kind: 'health', failuresMax: 3 },
          { kind: 'metric', metric: 'cpu', max: 90 },
          { kind: 'flagger', interval: '60s', threshold: 5 },
          { kind: 'argo', interval: '60s', failureLimit: 3 },
        ],
        approval: { manual: false },
      },
      { name: 'rollout', weightPercent: 100, durationMin: '30d' },
    ],
    rollback: { mode: 'gradual', stepsPercent: [50, 10], stepDuration: '30s' },
    adapter: { type: 'none', options: {} },
    notifications: { webhooks: [{ url: 'http://127.0.0.1:9/hook', events: ['completed'] }] },
    sources: { health: { url: 'http://127.0.0.1:9/health', interval: '5s', timeout: '2s' } },
  };
}

/** Every path of a value that holds something (objects and arrays included), to pick one to mutate. */
function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (prefix.length > 8) return out; // not into the deep values an earlier mutation put there
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
  return out;
}

function setAt(root: Record<string, unknown>, path: (string | number)[], value: unknown, remove: boolean): void {
  if (path.length === 0) return;
  let node: Record<string | number, unknown> = root;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
}

/** A valid spec with one to three values replaced, removed, or added under an unknown key. */
export const mutatedSpec: fc.Arbitrary<Record<string, unknown>> = fc
  .record({ id: fc.constantFrom(...SPEC_IDS), mutations: fc.array(fc.tuple(fc.nat(), nastyValue, fc.nat(9)), { minLength: 1, maxLength: 3 }) })
  .map(({ id, mutations }) => {
    const spec = baseSpec(id);
    for (const [pick, value, how] of mutations) {
      const paths = pathsOf(spec).slice(1);
      const path = paths[pick % paths.length]!;
      if (how === 0) setAt(spec, path, value, true);
      else if (how === 1) setAt(spec, [...path.slice(0, -1), 'unknownField'], value, false);
      else setAt(spec, path, value, false);
    }
    return spec;
  });

/** Spec texts of the adversarial family: what killed or confused the daemon before, and its relatives. */
export const adversarialSpecText: fc.Arbitrary<string> = fc.oneof(
  fc.nat(20_000).map((depth) => `{"id":"fz-a","service":"s","baseline":"1","candidate":"2","x":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  fc.nat(8_000).map((depth) => `id: fz-a\nservice: s\nbaseline: "1"\ncandidate: "2"\nx: ${'- '.repeat(depth)}1\n`),
  fc.nat(3_000).map((depth) => `id: fz-a\nservice: s\nx: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\n`),
  fc.integer({ min: 2, max: 12 }).map((levels) => {
    const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < levels; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]`);
    return `id: fz-a\nservice: s\nbaseline: "1"\ncandidate: "2"\nadapter:\n  type: none\n  options:\n${lines.map((l) => `    ${l}`).join('\n')}\n`;
  }),
  fc.constantFrom(
    'id: fz-a\nservice: s\nbaseline: "1"\ncandidate: "2"\nwindow: 1e309\n',
    '{"id":"fz-a","service":"s","baseline":"1","candidate":"2","window":1e309}',
    '{"id":"fz-a","service":"s","baseline":"1","candidate":"2","stages":[{"name":"a","weightPercent":-1e309}]}',
    'id: fz-a\nservice: s\nbaseline: "1"\ncandidate: "2"\nwindow: .nan\n',
    'id: fz-a\nservice: s\nservice: t\n',
    'a: &a [*a]\n',
    'x: *undefined\n',
    '--- !!binary\nAAAA\n',
    '%YAML 9.9\n---\nid: a\n',
    'id: fz-a\nservice: "\\e[2J"\nbaseline: "1"\ncandidate: "2"\n',
    '\ufeff{"id":"fz-a"}',
    '[]',
    'null',
    '"just a string"',
    '',
  ),
  fc.integer({ min: 1, max: 400 }).map((kib) => `id: fz-a\nservice: s\nbaseline: "1"\ncandidate: "2"\n# ${'x'.repeat(kib * 1024)}\n`),
  fc.integer({ min: 1, max: 30_000 }).map((keys) => Array.from({ length: keys }, (_, i) => `k${i}: ${i}`).join('\n')),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
);

/** A body of NDJSON sample lines: valid lines, lines with one bad value, and adversarial lines, in any mix. */
const sampleLine: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ variant: fc.constantFrom('canary', 'baseline', 'candidate', 'stable'), ok: fc.boolean(), latencyMs: fc.double({ min: 0, max: 10_000, noNaN: true }) }).map((l) => JSON.stringify(l)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('variant', 'ok', 'status', 'latencyMs', 'at', 'extra'), nastyValue)
      .map(([key, value]) => JSON.stringify({ variant: 'canary', ok: true, latencyMs: 3, [key]: value }) ?? '{}'),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"variant":"canary","ok":true,"latencyMs":1e309}',
      '{"variant":"canary","ok":true,"status":500,"latencyMs":1}',
      '{"variant":"canary","status":-1,"latencyMs":1}',
      `{"variant":"canary","ok":true,"latencyMs":1,"at":${Date.UTC(2020, 0, 1) / 1000}}`,
      '{oops',
      '',
      '   ',
      '[',
      `{"variant":${'['.repeat(2_000)}${']'.repeat(2_000)}}`,
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map((s) => s.replace(/\n/g, ' ')) },
);
const windowLine = (windowMs: number): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .record({ variant: fc.constantFrom('canary', 'baseline'), back: fc.integer({ min: -2, max: 3 }), count: fc.nat(1_000), errorShare: fc.double({ min: 0, max: 1, noNaN: true }) })
        .map(({ variant, back, count, errorShare }) => {
          const windowStartAt = (Math.floor(Date.now() / windowMs) - back) * windowMs;
          return JSON.stringify({ variant, windowStartAt, count, errors: Math.floor(count * errorShare) });
        }),
    },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('variant', 'windowStartAt', 'count', 'errors', 'latencyHistogram'), nastyValue).map(([key, value]) => JSON.stringify({ variant: 'canary', windowStartAt: Math.floor(Date.now() / windowMs) * windowMs, count: 1, errors: 0, [key]: value }) ?? '{}') },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map((s) => s.replace(/\n/g, ' ')) },
  );

const ndjson = (line: fc.Arbitrary<string>, linesMax: number): fc.Arbitrary<string> => fc.array(line, { minLength: 0, maxLength: linesMax }).map((lines) => lines.join('\n'));

const ID_PARAMS = [SAMPLES_ROLLOUT, WINDOWS_ROLLOUT, 'fz-a', 'nope', '%00', '..', '%2e%2e%2f', 'a'.repeat(300), '%F0%9F%A6%80', '%'];
const COMMANDS = ['promote', 'promote-full', 'pause', 'resume', 'abort', 'rollback', 'approve', 'launch', '', 'PAUSE', '__proto__', 'constructor'];

/** Every endpoint with structured, adversarial and raw requests. `token` is the daemon's; some requests go without it. */
export function fuzzRequest(token: string): fc.Arbitrary<FuzzRequest> {
  // Mostly the right token, so that most cases reach the handlers; now and then none or a wrong one.
  const auth = fc.oneof(
    { weight: 16, arbitrary: fc.constantFrom<Record<string, string>>({ authorization: `Bearer ${token}` }, { authorization: `bearer  ${token}  ` }) },
    { weight: 1, arbitrary: fc.constantFrom<Record<string, string>>({}, { authorization: 'Bearer wrong' }, { authorization: 'Basic Zm9vOmJhcg==' }, { authorization: `Bearer ${token}x` }) },
  );
  const text = (body: string): Buffer => Buffer.from(body, 'utf8');
  const post = (endpoint: string, family: FuzzRequest['family'], path: string, body: fc.Arbitrary<Buffer>): fc.Arbitrary<FuzzRequest> =>
    fc.record({ headers: auth, body }).map(({ headers, body: b }) => ({ family, endpoint, method: 'POST', path, headers, body: b }));
  const json = (value: unknown): Buffer => text(JSON.stringify(value) ?? 'null');
  const rawBytes = fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes));
  const id = fc.constantFrom(...ID_PARAMS);
  return fc.oneof(
    // POST /v1/rollouts
    post('create', 'structured', '/v1/rollouts', fc.tuple(mutatedSpec, fc.boolean()).map(([spec, yaml]) => text(yaml ? toYaml(spec) : JSON.stringify(spec)))),
    post('create', 'adversarial', '/v1/rollouts', adversarialSpecText.map(text)),
    post('create', 'raw', '/v1/rollouts', rawBytes),
    // POST /v1/rollouts/:id/samples and /windows
    post('samples', 'structured', `/v1/rollouts/${SAMPLES_ROLLOUT}/samples`, ndjson(sampleLine, 50).map(text)),
    fc.tuple(id, ndjson(sampleLine, 5)).chain(([rolloutId, body]) => post('samples', 'adversarial', `/v1/rollouts/${rolloutId}/samples`, fc.constant(text(body)))),
    post('samples', 'raw', `/v1/rollouts/${SAMPLES_ROLLOUT}/samples`, rawBytes),
    post('windows', 'structured', `/v1/rollouts/${WINDOWS_ROLLOUT}/windows`, ndjson(windowLine(FUZZ_WINDOW_MS), 20).map(text)),
    post('windows', 'raw', `/v1/rollouts/${WINDOWS_ROLLOUT}/windows`, rawBytes),
    // POST /v1/rollouts/:id/commands/:command (not on the two ledger rollouts: they must keep taking input)
    fc
      .record({ rolloutId: fc.constantFrom('fz-a', 'fz-b', 'nope', '%00'), command: fc.constantFrom(...COMMANDS), body: fc.oneof(fc.record({ reason: nastyValue, actor: nastyValue }, { requiredKeys: [] }), nastyValue) })
      .chain(({ rolloutId, command, body }) => post('command', 'structured', `/v1/rollouts/${rolloutId}/commands/${command}`, fc.constant(json(body)))),
    post('command', 'adversarial', '/v1/rollouts/fz-a/commands/pause', fc.constantFrom(json({ reason: 'r'.repeat(900_000) }), text(`{"reason":${'['.repeat(50_000)}${']'.repeat(50_000)}}`), text('{"reason":"a","reason":"b"}'), text('{"reason":"\\u001b[31m"}'))),
    post('command', 'raw', '/v1/rollouts/fz-a/commands/resume', rawBytes),
    // POST health and metrics
    fc.record({ rolloutId: id, body: fc.record({ ok: nastyValue, target: nastyValue, detail: nastyValue }, { requiredKeys: [] }) }).chain(({ rolloutId, body }) => post('health', 'structured', `/v1/rollouts/${rolloutId}/health`, fc.constant(json(body)))),
    fc.record({ rolloutId: id, body: fc.record({ name: nastyValue, variant: nastyValue, value: nastyValue }, { requiredKeys: [] }) }).chain(({ rolloutId, body }) => post('metric', 'structured', `/v1/rollouts/${rolloutId}/metrics`, fc.constant(json(body)))),
    post('metric', 'raw', '/v1/rollouts/fz-a/metrics', rawBytes),
    // GET reads with fuzzed ids and query parameters
    fc
      .record({ headers: auth, rolloutId: id, from: fc.oneof(fc.constant(''), fc.nat().map(String), fc.constantFrom('-1', '1e309', 'x', '99999999999999999999')), limit: fc.constantFrom('', '0', '1', '100000000', '-5', 'abc') })
      .map(({ headers, rolloutId, from, limit }) => ({ family: 'structured' as const, endpoint: 'read', method: 'GET', path: `/v1/rollouts/${rolloutId}/events?from=${from}&limit=${limit}`, headers })),
    fc.record({ headers: auth, rolloutId: id }).map(({ headers, rolloutId }) => ({ family: 'structured' as const, endpoint: 'read', method: 'GET', path: `/v1/rollouts/${rolloutId}`, headers })),
    // The other reads: the list with its filter, the log head, the report data, the dashboard, the metrics
    fc
      .record({
        headers: auth,
        path: fc.oneof(
          fc.constantFrom('all', 'active', 'ended', '', 'x', '%00', 'active&state=ended').map((state) => `/v1/rollouts?state=${state}`),
          fc.constantFrom('/v1/log/head', '/metrics', '/readyz', '/healthz', '/ui', '/ui/assets/app.js', '/ui/assets/..%2f..%2fetc%2fpasswd', '/ui/assets/%00'),
          fc.constantFrom(...ID_PARAMS).map((rolloutId) => `/v1/rollouts/${rolloutId}/report`),
          fc.constantFrom(...ID_PARAMS).map((rolloutId) => `/ui/rollouts/${rolloutId}`),
        ),
      })
      .map(({ headers, path }) => ({ family: 'structured' as const, endpoint: 'read', method: 'GET', path, headers })),
    // Event streams (SSE): the harness takes the answer's head and closes the stream
    fc
      .record({ headers: auth, rolloutId: id, lastEventId: fc.option(fc.constantFrom('0', '5', '-1', '1e309', '99999999999999999999', 'x', ''), { nil: undefined }) })
      .map(({ headers, rolloutId, lastEventId }) => ({
        family: 'structured' as const,
        endpoint: 'stream',
        method: 'GET',
        path: `/v1/rollouts/${rolloutId}/events`,
        headers: { ...headers, accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
      })),
    // Anything: unknown paths and methods, bytes in the path
    fc
      .record({ headers: auth, method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), path: fc.oneof(fc.constantFrom('/', '/v1', '/v1/', '/v1/rollouts/', '//v1//rollouts', '/metrics', '/healthz', '/readyz', '/v1/rollouts/fz-a/commands/'), fc.webPath()), body: fc.option(rawBytes, { nil: undefined }) })
      .map(({ headers, method, path, body }) => ({ family: 'raw' as const, endpoint: 'any', method, path: path.startsWith('/') ? path : `/${path}`, headers, ...(body && method !== 'GET' ? { body } : {}) })),
  );
}

/** Text of the files the CLI reads (spec, daemon config, traffic model): the same families as the API's specs. */
export const fuzzFileText: fc.Arbitrary<{ family: FuzzRequest['family']; text: Buffer }> = fc.oneof(
  fc.tuple(mutatedSpec, fc.boolean()).map(([spec, yaml]) => ({ family: 'structured' as const, text: Buffer.from(yaml ? toYaml(spec) : JSON.stringify(spec)) })),
  adversarialSpecText.map((text) => ({ family: 'adversarial' as const, text: Buffer.from(text) })),
  fc.uint8Array({ maxLength: 2_000 }).map((bytes) => ({ family: 'raw' as const, text: Buffer.from(bytes) })),
);

/**
 * Whether a request body names a host other than loopback in an http(s) URL. The generators never produce one, but a
 * random string could; such a case is skipped, because an accepted spec would make the daemon call that host.
 */
export function leavesLoopback(body: Buffer | undefined): boolean {
  if (!body) return false;
  const text = body.toString('latin1');
  // WHATWG URLs take "http:host", "http:\\host" and "http:/ /host" for http://host too, so any slashes may follow.
  for (const match of text.matchAll(/https?:[/\\\s]*(\[[^\]]*\]|[^/\\?#:\s"']*)/gi)) {
    const host = match[1]!.toLowerCase();
    if (host !== '' && host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') return true;
  }
  return false;
}

/** One end of a range, or a value in it: where `window: 0` and unbounded thresholds hid. */
const edge = (min: number, max: number): fc.Arbitrary<number> => fc.oneof(fc.constantFrom(min, max), fc.integer({ min, max }));

/**
 * A spec every field of which is at an end of its stated range (docs/spec.md), for the check that a spec the daemon
 * accepts is one it can register, run and recover. Cross-field rules (durationMax ≥ durationMin, rising weights) may
 * still refuse some; those must be 422s naming the field.
 */
export function edgeSpec(id: string): fc.Arbitrary<Record<string, unknown>> {
  const day = 86_400_000;
  const gate = fc.oneof(
    fc.record({ kind: fc.constant('errorRate'), maxPercent: fc.constantFrom(0, 100), sustainWindows: edge(1, 1_000), samplesMin: edge(0, 1_000_000_000) }),
    fc.record({ kind: fc.constant('latency'), maxMs: fc.constantFrom(0.001, 3_600_000), quantile: fc.constantFrom(0.000001, 0.999999) }),
    fc.record({ kind: fc.constant('flagger'), interval: edge(1_000, 3_600_000), threshold: edge(1, 1_000), latencyMsP99Max: fc.constantFrom(0.001, 3_600_000) }),
    fc.record({ kind: fc.constant('argo'), interval: edge(1_000, 3_600_000), failureLimit: edge(0, 1_000) }),
    fc.record({ kind: fc.constant('compareLatency'), alpha: fc.constantFrom(1e-12, 0.4999), tolerance: fc.constantFrom(0, 10), thresholdMs: fc.constantFrom(0.001, 3_600_000) }),
    fc.record({ kind: fc.constant('health'), failuresMax: edge(1, 1_000) }),
  );
  return fc.record({
    id: fc.constant(id),
    service: fc.constant('edge'),
    baseline: fc.constant('v1'),
    candidate: fc.constant('v2'),
    window: edge(1_000, 3_600_000),
    stages: fc.tuple(edge(0, 30 * day), edge(0, 60 * day), edge(0, 1_000_000_000), fc.array(gate, { maxLength: 4 }), fc.constantFrom(0, 0.01, 50, 100)).map(([durationMin, durationMax, samplesMin, gates, weightPercent]) => [
      { name: 'only', weightPercent, durationMin, durationMax, samplesMin, gates, onMaxDuration: { action: 'extend', extendBy: 30 * day, extensionsMax: 100 } },
    ]),
    rollback: fc.record({ mode: fc.constant('gradual'), stepsPercent: fc.constant([0.01]), stepDuration: edge(0, day) }),
    sources: fc.record({ health: fc.record({ url: fc.constant('http://127.0.0.1:9/health'), interval: edge(1_000, 3_600_000), timeout: edge(100, 60_000) }) }),
  });
}
