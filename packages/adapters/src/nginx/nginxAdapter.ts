import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { roundWeightPercent, type AdapterHealth, type TrafficAdapter, type WeightState } from '@sluice/core';
import type { AdapterContext } from '../createAdapter.js';
import { applyError, parseAdapterOptions, readError } from '../errors.js';
import { LastKnownGood } from '../lastKnownGood.js';
import { retryWithBackoff, sleepMs } from '../retry.js';
import { fetchMarker, haveRetired, isProcessAlive, listChildPids, processStartedAt, readMasterPid, reloadNginx, testConfig, type MarkerState } from './nginxControl.js';
import { nginxOptionsSchema, type NginxAdapterOptions, type NginxOptions } from './nginxOptions.js';
import { parseIncludeHeader, parseSplitWeight, renderInclude } from './renderInclude.js';

/** Timeout of one marker request (read-back and each poll while verifying). */
const MARKER_REQUEST_TIMEOUT_MS = 2_000;

/**
 * The `nginx` adapter. It owns one include file; `apply` writes it atomically, runs `nginx -t` against the real main
 * config, reloads, and resolves only once a worker started by that reload serves the new generation marker. A config
 * nginx rejects, or a reload that never takes effect, puts the last known good file back and rejects with
 * SLUICE_E_ADAPTER_APPLY carrying nginx's own message.
 */
export function createNginxAdapter(input: NginxAdapterOptions | Record<string, unknown>, context: AdapterContext): TrafficAdapter {
  const options = parseAdapterOptions('nginx', nginxOptionsSchema, input);
  const lastKnownGood = new LastKnownGood<string | null>();
  let queue: Promise<unknown> = Promise.resolve();

  /** Applies are serialised: two reloads racing could verify each other's generation. */
  function serialised<T>(task: () => Promise<T>): Promise<T> {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  }

  async function applyNow(want: WeightState, signal?: AbortSignal): Promise<WeightState> {
    const served = await fetchMarker(options.markerListen, MARKER_REQUEST_TIMEOUT_MS).catch(() => undefined);
    if (served && sameState(served, want)) {
      if (!lastKnownGood.isInForce(want)) lastKnownGood.record(want, await readText(options.includePath));
      return want;
    }
    lastKnownGood.seed(await readText(options.includePath));
    const previous = lastKnownGood.payload ?? null;
    const text = renderInclude(options, want, context.rolloutId);
    await writeAtomic(options.includePath, text);

    const testStartedAt = performance.now();
    const test = await testConfig(options);
    const testMs = Math.round(performance.now() - testStartedAt);
    if (!test.ok) {
      await restore(previous);
      throw applyError('nginx', `nginx -t rejected the configuration for ${want.weightPercent}% generation ${want.generation}; restored the last known good include file ${options.includePath}. nginx said: ${test.output}`, { detail: test.output });
    }

    const startedAt = performance.now();
    try {
      await retryWithBackoff(options.retry, () => reloadAndVerify(want, signal), {
        ...(signal ? { signal } : {}),
        onRetry: ({ attempt, error }) => context.logger?.warn({ rolloutId: context.rolloutId, attempt, err: messageOf(error) }, 'nginx reload not verified yet; retrying'),
      });
    } catch (error) {
      await restore(previous);
      // nginx may have loaded the new file although it was not verified: reload the restored one, and verify it when
      // its state is known (verified before, or written in its header).
      const back = lastKnownGood.state ?? (previous === null ? undefined : parseIncludeHeader(previous));
      if (back) await reloadAndVerify(back).catch(() => undefined);
      else await reloadNginx(options).catch(() => undefined);
      throw applyError('nginx', `reload to ${want.weightPercent}% generation ${want.generation} was not verified as serving: ${messageOf(error)}; restored the last known good include file (check nginx's error log)`, { cause: error });
    }
    lastKnownGood.record(want, text);
    context.logger?.info({ rolloutId: context.rolloutId, weightPercent: want.weightPercent, generation: want.generation, testMs, reloadMs: Math.round(performance.now() - startedAt) }, 'nginx weight applied and verified');
    return want;
  }

  /** Sends the reload, then waits until a worker that did not exist before answers the marker with `want`. */
  async function reloadAndVerify(want: WeightState, signal?: AbortSignal): Promise<void> {
    const masterPid = await readMasterPid(options.pidFile);
    const before = await listChildPids(masterPid);
    await reloadNginx(options);
    const deadline = performance.now() + options.verifyTimeoutMs;
    let last: MarkerState | Error | undefined;
    while (performance.now() < deadline) {
      // The caller gave up (the reconciler's apply timeout): stop here; the catch below restores the last known good.
      signal?.throwIfAborted();
      last = await fetchMarker(options.markerListen, MARKER_REQUEST_TIMEOUT_MS).catch((e: Error) => e);
      if (!(last instanceof Error) && sameState(last, want) && !before?.has(last.pid)) {
        // A new worker serves the new generation; the reload is done once every old worker has stopped accepting
        // (until then a new connection may still land on an old worker with the old split).
        const after = await listChildPids(masterPid);
        const workersChanged = before === undefined || after === undefined || [...after].some((pid) => !before.has(pid));
        if (workersChanged && (before === undefined || (await haveRetired(before)) !== false)) return;
      }
      await sleepMs(options.verifyIntervalMs);
    }
    const seen = last instanceof Error ? last.message : last ? `the marker still served ${last.weightPercent}% generation ${last.generation} from worker ${last.pid}` : 'no answer';
    throw new Error(`after ${options.verifyTimeoutMs} ms ${seen}`);
  }

  /**
   * The marker says what Sluice last rendered; a hand edit of the split_clients block alone leaves it unchanged. When
   * the file's split disagrees with the marker and the worker that answered started after the file was last written
   * (so it loaded that file), the file's split is what nginx serves.
   */
  async function splitInForce(served: MarkerState): Promise<number> {
    const file = await stat(options.includePath).catch(() => undefined);
    const text = file ? await readText(options.includePath) : null;
    const fileWeight = text === null ? undefined : parseSplitWeight(text);
    if (!file || fileWeight === undefined || fileWeight === served.weightPercent) return served.weightPercent;
    const workerStartedAt = await processStartedAt(served.pid);
    // Start times from /proc are known to about 10 ms; nginx reads the file before it forks the workers, and a reload
    // after an edit comes later than that.
    return workerStartedAt !== undefined && workerStartedAt > file.mtimeMs ? fileWeight : served.weightPercent;
  }

  async function restore(previous: string | null): Promise<void> {
    if (previous === null) await rm(options.includePath, { force: true });
    else await writeAtomic(options.includePath, previous);
  }

  return {
    type: 'nginx',
    apply(desired: WeightState, signal?: AbortSignal): Promise<WeightState> {
      const want = { weightPercent: roundWeightPercent(desired.weightPercent), generation: desired.generation };
      return serialised(() => applyNow(want, signal));
    },
    async read(): Promise<WeightState> {
      try {
        const served = await fetchMarker(options.markerListen, MARKER_REQUEST_TIMEOUT_MS);
        return { weightPercent: await splitInForce(served), generation: served.generation };
      } catch (error) {
        throw readError('nginx', `cannot read the generation marker on ${options.markerListen}: ${messageOf(error)}; is ${options.includePath} included in the http block and nginx running?`, { cause: error });
      }
    },
    async health(): Promise<AdapterHealth> {
      try {
        const pid = await readMasterPid(options.pidFile);
        if (!isProcessAlive(pid)) return { ok: false, detail: `no nginx master process at pid ${pid} (from ${options.pidFile})` };
        await fetchMarker(options.markerListen, MARKER_REQUEST_TIMEOUT_MS);
        return { ok: true };
      } catch (error) {
        return { ok: false, detail: messageOf(error) };
      }
    },
    async close(): Promise<void> {
      await queue;
    },
  };
}

export type { NginxOptions };

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Writes beside the target, fsyncs, and renames over it, so nginx never reads a half-written include file. */
async function writeAtomic(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temporary, 'w', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function sameState(a: WeightState, b: WeightState): boolean {
  return a.weightPercent === b.weightPercent && a.generation === b.generation;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
