import { open, stat, type FileHandle } from 'node:fs/promises';
import type { RequestSample } from '@sluice/core';
import { z } from 'zod';
import type { AdapterLogger } from '../createAdapter.js';
import { parseAdapterOptions, type OptionsLocation } from '../errors.js';
import { parseAccessLogLine } from './accessLogLine.js';

/** The access-log tail's options live in a spec under `sources.accessLog`; problems are reported at that path. */
export const ACCESS_LOG_OPTIONS_LOCATION: OptionsLocation = { label: 'sources.accessLog (nginx access-log source)', pathPrefix: ['sources', 'accessLog'] };

export const accessLogOptionsSchema = z
  .object({
    path: z.string().min(2).max(4_096).describe('The JSON access log nginx writes with the sluice_json log_format'),
    baselineAddresses: z.array(z.string().min(1).max(256)).min(1).max(256).describe('Upstream addresses of the stable version, as in $upstream_addr'),
    candidateAddresses: z.array(z.string().min(1).max(256)).min(1).max(256).describe('Upstream addresses of the candidate version'),
    latencyFrom: z.enum(['request_time', 'upstream_response_time']).default('request_time').describe('Latency source'),
    variantField: z.string().min(1).max(64).nullable().default('variant').describe('Field holding $sluice_variant, used when the address matches neither list'),
    startAt: z.enum(['end', 'start']).default('end').describe('Where to begin in the file found at start'),
    pollIntervalMs: z.int().min(10).max(60_000).default(250).describe('Interval of `start()` polling'),
    readBytesMaxPerPoll: z.int().min(4_096).max(64 * 1024 * 1024).default(4 * 1024 * 1024).describe('Bytes read per poll at most; the rest waits for the next poll'),
    lineBytesMax: z.int().min(256).max(1024 * 1024).default(16 * 1024).describe('Longer lines are dropped as malformed'),
  })
  .strict()
  .refine((o) => !o.baselineAddresses.some((a) => o.candidateAddresses.includes(a)), { message: 'an address is listed as both baseline and candidate', path: ['candidateAddresses'] });

export type AccessLogOptions = z.input<typeof accessLogOptionsSchema>;

export interface AccessLogStats {
  lines: number;
  samples: number;
  /** Lines that are not a sluice_json record (counted, logged, never fatal). */
  malformed: number;
  /** Well-formed lines whose upstream is neither version (nginx answered itself, another location). */
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
const NEWLINE = 0x0a;
/** The first malformed lines are logged one by one; after that one line in this many, so a broken log cannot flood. */
const MALFORMED_LOG_EVERY = 1_000;

/**
 * Tails a JSON access log by polling (fs.watch misses events on some filesystems and across rotation). Follows
 * rotation by rename (the inode at the path changes: the old file is read to its end, then the new one from 0) and by
 * truncation (the size drops below the read position: read again from 0). Keeps a partial last line until its newline
 * arrives.
 */
export function createAccessLogTail(input: AccessLogOptions, logger?: AdapterLogger): AccessLogTail {
  const options = parseAdapterOptions('nginx access-log', accessLogOptionsSchema, input, ACCESS_LOG_OPTIONS_LOCATION);
  const mapping = { baselineAddresses: options.baselineAddresses, candidateAddresses: options.candidateAddresses, latencyFrom: options.latencyFrom, variantField: options.variantField };
  const stats: AccessLogStats = { lines: 0, samples: 0, malformed: 0, unmatched: 0, rotations: 0, truncations: 0, bytesRead: 0 };
  let handle: FileHandle | undefined;
  let inode: number | undefined;
  let position = 0;
  let partial: Buffer = Buffer.alloc(0);
  let discarding = false;
  let firstOpen = true;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  function countMalformed(reason: string, line: string): void {
    stats.malformed++;
    if (stats.malformed <= 5 || stats.malformed % MALFORMED_LOG_EVERY === 0) {
      logger?.warn({ path: options.path, malformed: stats.malformed, reason, line: line.slice(0, 200) }, 'malformed access-log line skipped');
    }
  }

  function consume(buffer: Buffer, out: RequestSample[]): void {
    let start = 0;
    for (let i = buffer.indexOf(NEWLINE); i !== -1; i = buffer.indexOf(NEWLINE, start)) {
      const piece = buffer.subarray(start, i);
      start = i + 1;
      const line = (partial.length > 0 ? Buffer.concat([partial, piece]) : piece).toString('utf8').trim();
      partial = Buffer.alloc(0);
      if (discarding) {
        discarding = false;
        continue;
      }
      if (line === '') continue;
      stats.lines++;
      const result = parseAccessLogLine(line, mapping);
      if (result.kind === 'sample') {
        stats.samples++;
        out.push(result.sample);
      } else if (result.kind === 'unmatched') stats.unmatched++;
      else countMalformed(result.reason, line);
    }
    const rest = buffer.subarray(start);
    if (discarding) return;
    if (partial.length + rest.length > options.lineBytesMax) {
      countMalformed(`line longer than ${options.lineBytesMax} bytes`, partial.toString('utf8'));
      partial = Buffer.alloc(0);
      discarding = true;
    } else if (rest.length > 0) partial = Buffer.concat([partial, rest]);
  }

  /** Reads from `position` to at most `end`, within the per-poll budget; returns bytes read. */
  async function readRange(file: FileHandle, end: number, budget: number, out: RequestSample[]): Promise<number> {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let total = 0;
    while (position < end && total < budget) {
      const { bytesRead } = await file.read(chunk, 0, Math.min(CHUNK_BYTES, end - position, budget - total), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      total += bytesRead;
      consume(chunk.subarray(0, bytesRead), out);
    }
    stats.bytesRead += total;
    return total;
  }

  async function pollOnce(): Promise<RequestSample[]> {
    const out: RequestSample[] = [];
    let budget = options.readBytesMaxPerPoll;
    const current = await stat(options.path).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (handle && (current === undefined || current.ino !== inode)) {
      // Rotated by rename (or removed): finish the old file first; nginx keeps writing to it until it reopens logs.
      const size = (await handle.stat()).size;
      budget -= await readRange(handle, size, budget, out);
      if (position < size || current === undefined) return out;
      await handle.close();
      handle = undefined;
      stats.rotations++;
      if (partial.length > 0) countMalformed('partial line at the end of a rotated file', partial.toString('utf8'));
      partial = Buffer.alloc(0);
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
      partial = Buffer.alloc(0);
      discarding = false;
    }
    await readRange(handle, current.size, budget, out);
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
