/**
 * One proxyless gRPC client process, as an application would run it: grpc-js with @grpc/grpc-js-xds, the bootstrap in
 * GRPC_XDS_BOOTSTRAP_CONFIG (node id, Sluice's xDS server), channel target `xds:///greeter`. The xDS client splits the
 * calls by the weights Sluice serves (gRFC A28). An interceptor reports every call's outcome as an NDJSON sample to
 * the daemon (POST /v1/rollouts/:id/samples, batched every 100 ms) and to the parent process, which measures.
 *
 * Parent → child (IPC): { rolloutId, baseline } to report to (baseline: the stable version's name), { ratePerSecond },
 * { stop: true }.
 * Child → parent: { started: true } once the channel exists and its xDS client is connecting; { outcomes: [at, version,
 * ok][] } every 100 ms; { ready: true } once the first call answered.
 */
import { credentials, InterceptingCall, makeGenericClientConstructor, type Interceptor } from '@grpc/grpc-js';
import { register } from '@grpc/grpc-js-xds';
import { GREETER_SERVICE } from '@sluice/adapters/envoy/testing';

register();

const DAEMON_URL = process.env.SLUICE_URL!;
const TOKEN = process.env.SLUICE_TOKEN!;
/** Calls in flight at most (open-loop load: beyond it, a call is skipped and counted). */
const IN_FLIGHT_MAX = 256;
/** Outcomes buffered for the daemon at most; older ones are dropped if it does not keep up. */
const PENDING_MAX = 100_000;

let rolloutId: string | undefined;
let baseline: string | undefined;
let ratePerSecond = Number(process.env.RATE_PER_SECOND ?? '100');
const pending: { variant: string; ok: boolean; latencyMs: number; at: number }[] = [];
let outcomes: [number, string, boolean][] = [];

/** Which version answered: the `x-version` trailer the services set on every call. */
const reportingInterceptor: Interceptor = (options, nextCall) => {
  const startedAt = Date.now();
  const started = performance.now();
  return new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      next(metadata, {
        onReceiveStatus(status, nextStatus) {
          const version = String(status.metadata.get('x-version')[0] ?? '');
          const ok = status.code === 0;
          const at = Date.now();
          outcomes.push([at, version, ok]);
          // Calls no version answered (no route yet, deadline) say nothing about either version.
          if (version && rolloutId !== undefined && pending.length < PENDING_MAX) {
            pending.push({ variant: version === baseline ? 'baseline' : 'canary', ok, latencyMs: Math.round((performance.now() - started) * 1000) / 1000, at: startedAt });
          }
          nextStatus(status);
        },
      });
    },
  });
};

const Greeter = makeGenericClientConstructor(GREETER_SERVICE, 'Greeter');
const client = new Greeter('xds:///greeter', credentials.createInsecure(), { interceptors: [reportingInterceptor] }) as unknown as {
  Greet(request: unknown, options: { deadline: Date }, callback: (error: Error | null) => void): void;
  close(): void;
};

let inFlight = 0;
let readySent = false;
function call(): void {
  if (inFlight >= IN_FLIGHT_MAX) return;
  inFlight++;
  client.Greet({ name: 'sluice' }, { deadline: new Date(Date.now() + 2_000) }, (error) => {
    inFlight--;
    if (!error && !readySent) {
      readySent = true;
      process.send?.({ ready: true });
    }
  });
}

// Open loop: calls at the rate, whatever the answers take (so a slow version cannot lower its own load).
let next = performance.now();
const loadTimer = setInterval(() => {
  const now = performance.now();
  const interval = 1000 / Math.max(1, ratePerSecond);
  let fired = 0;
  while (next <= now && fired < 1_000) {
    call();
    next += interval;
    fired++;
  }
  if (next < now) next = now;
}, 5);

async function flush(): Promise<void> {
  if (outcomes.length > 0) {
    process.send?.({ outcomes });
    outcomes = [];
  }
  if (rolloutId === undefined || pending.length === 0) return;
  const batch = pending.splice(0, pending.length);
  const body = batch.map((s) => JSON.stringify(s)).join('\n');
  try {
    await fetch(`${DAEMON_URL}/v1/rollouts/${rolloutId}/samples`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' },
      body,
      signal: AbortSignal.timeout(5_000),
    });
  } catch {
    // The daemon restarting or gone: these samples are lost, the next batch tries again.
  }
}
const flushTimer = setInterval(() => void flush(), 100);
process.send?.({ started: true });

process.on('message', (message: { rolloutId?: string; baseline?: string; ratePerSecond?: number; stop?: boolean }) => {
  if (message.rolloutId !== undefined) {
    rolloutId = message.rolloutId;
    baseline = message.baseline;
  }
  if (message.ratePerSecond !== undefined) ratePerSecond = message.ratePerSecond;
  if (message.stop) {
    clearInterval(loadTimer);
    clearInterval(flushTimer);
    void flush().finally(() => {
      client.close();
      process.exit(0);
    });
  }
});
process.on('disconnect', () => process.exit(0));
