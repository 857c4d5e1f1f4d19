import { open, stat, type FileHandle } from 'node:fs/promises';
import type { RequestSample } from '@sluice/core';
import { z } from 'zod';
import type { AdapterLogger } from '../createAdapter.js';
import { LineSplitter } from './lineSplitter.js';

/**
 * The one access-log tail of Sluice: the nginx source (sources.accessLog) and the Envoy file source
 * (sources.envoyAccessLog with `path`) differ only in how a line becomes a sample, which they pass as `parseLine`.
 */
export type LineResult =
  | { kind: 'sample'; sample: RequestSample }
  | { kind: 'unmatched'; reason: string }
  | { kind: 'malformed'; reason: string };

/** Options of the tail itself, shared by every access-log source's schema. */
export const tailOptionsShape = {
  path: z.string().min(2).max(4_096).describe('The access log to tail (one JSON object per line)'),
  startAt: z.enum(['end', 'start']).default('end').describe('Where to begin in the file found at start'),
  pollIntervalMs: z.int().min(10).max(60_000).default(250).describe('Interval of `start()` polling'),
  readBytesMaxPerPoll: z.int().min(4_096).max(64 * 1024 * 1024).default(4 * 1024 * 1024).describe('Bytes read per poll at most; the rest waits for the next poll'),
  lineBytesMax: z.int().min(256).max(1024 * 1024).default(16 * 1024).describe('Longer lines are dropped as malformed'),
};

export interface TailOptions {
  path: string;
  startAt: 'end' | 'start';
  pollIntervalMs: number;
  readBytesMaxPerPoll: number;
  lineBytesMax: number;
}

export interface AccessLogStats {
  lines: number;
  samples: number;
  /** Lines that are not a record of the expected format (counted, logged, never fatal). */
  malformed: number;
  /** Well-formed lines whose upstream is neither version (the proxy answered itself, another route). */
  unmatched: number;
  rotations: number;
  truncations: number;
  bytesRead: number;
}

export interface AccessLogTail {
  /** Reads what was appended since the last poll (bounded by readBytesMaxPerPoll) and returns its samples. */
  poll(): Promise<RequestSample[]>;
  /** Polls every pollIntervalMs and hands samples to `onSamples`; errors go to the logger, the loop goes on. */
  start(onSamples: (samples: RequestSample[]) => void | Promise<void>): void;
  stop(): Promise<void>;
  readonly stats: Readonly<AccessLogStats>;
}

const CHUNK_BYTES = 64 * 1024;
/** The first malformed lines are logged one by one; after that one line in this many, so a broken log cannot flood. */
const MALFORMED_LOG_EVERY = 1_000;

/**
 * Tails a line-oriented access log by polling (fs.watch misses events on some filesystems and across rotation).
 * Follows rotation by rename (the inode at the path changes: the old file is read to its end, then the new one from
 * 0) and by truncation (the size drops below the read position: read again from 0). Keeps a partial last line until
 * its newline arrives; a line longer than lineBytesMax is dropped as malformed.
 */
export function createLineTail(options: TailOptions, parseLine: (line: string) => LineResult, logger?: AdapterLogger): AccessLogTail {
  const stats: AccessLogStats = { lines: 0, samples: 0, malformed: 0, unmatched: 0, rotations: 0, truncations: 0, bytesRead: 0 };
  let handle: FileHandle | undefined;
  let inode: number | undefined;
  let position = 0;
  let firstOpen = true;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  function countMalformed(reason: string, line: string): void {
    stats.malformed++;
    if (stats.malformed <= 5 || stats.malformed % MALFORMED_LOG_EVERY === 0) {
      logger?.warn({ path: options.path, malformed: stats.malformed, reason, line: line.slice(0, 200) }, 'malformed access-log line skipped');
    }
  }

  let out: RequestSample[] = [];
  const lines = new LineSplitter(options.lineBytesMax, {
    line(text) {
      const line = text.trim();
      if (line === '') return;
      stats.lines++;
      const result = parseLine(line);
      if (result.kind === 'sample') {
        stats.samples++;
        out.push(result.sample);
      } else if (result.kind === 'unmatched') stats.unmatched++;
      else countMalformed(result.reason, line);
    },
    tooLong(head) {
      countMalformed(`line longer than ${options.lineBytesMax} bytes`, head);
    },
  });

  /** Reads from `position` to at most `end`, within the per-poll budget; returns bytes read. */
  async function readRange(file: FileHandle, end: number, budget: number): Promise<number> {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let total = 0;
    while (position < end && total < budget) {
      const { bytesRead } = await file.read(chunk, 0, Math.min(CHUNK_BYTES, end - position, budget - total), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      total += bytesRead;
      lines.push(chunk.subarray(0, bytesRead));
    }
    stats.bytesRead += total;
    return total;
  }

  async function pollOnce(): Promise<RequestSample[]> {
    out = [];
    let budget = options.readBytesMaxPerPoll;
    const current = await stat(options.path).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (handle && (current === undefined || current.ino !== inode)) {
      // Rotated by rename (or removed): finish the old file first; the proxy keeps writing to it until it reopens logs.
      const size = (await handle.stat()).size;
      budget -= await readRange(handle, size, budget);
      if (position < size || current === undefined) return out;
      await handle.close();
      handle = undefined;
      stats.rotations++;
      const partial = lines.reset();
      if (partial !== undefined) countMalformed('partial line at the end of a rotated file', partial);
    }
    if (current === undefined) return out;
    if (!handle) {
      handle = await open(options.path, 'r');
      inode = current.ino;
      position = firstOpen && options.startAt === 'end' ? current.size : 0;
      firstOpen = false;
    }
    if (current.size < position) {
      stats.truncations++;
      position = 0;
      lines.reset();
    }
    await readRange(handle, current.size, budget);
    return out;
  }

  function poll(): Promise<RequestSample[]> {
    // Polls never overlap: a second caller waits for the first.
    const next = running.then(pollOnce, pollOnce);
    running = next.catch(() => undefined);
    return next;
  }

  return {
    stats,
    poll,
    start(onSamples): void {
      if (timer) return;
      const tick = async (): Promise<void> => {
        try {
          const samples = await poll();
          if (samples.length > 0) await onSamples(samples);
        } catch (error) {
          logger?.warn({ path: options.path, err: (error as Error).message }, 'access-log poll failed; retrying at the next interval');
        }
        if (timer) timer = setTimeout(tick, options.pollIntervalMs);
      };
      timer = setTimeout(tick, options.pollIntervalMs);
    },
    async stop(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
      await handle?.close();
      handle = undefined;
    },
  };
}
