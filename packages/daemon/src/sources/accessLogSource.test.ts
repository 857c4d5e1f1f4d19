import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestSample } from '@sluice/core';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessLogSources, validateAccessLogSource } from './accessLogSource.js';

const line = (port: number, status: number): string =>
  `${JSON.stringify({ msec: '1700000000.250', status: String(status), request_time: '0.004', upstream_addr: `127.0.0.1:${port}`, upstream_response_time: '0.003', variant: '' })}\n`;

describe('sources.accessLog', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-access-source-'));
    path = join(dir, 'access.json');
    await writeFile(path, '');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('submits the requests appended to the log as samples of the rollout', async () => {
    const batches: { rolloutId: string; windowMs: number; samples: RequestSample[] }[] = [];
    const sources = new AccessLogSources({ logger: pino({ level: 'silent' }), submit: async (rolloutId, windowMs, samples) => void batches.push({ rolloutId, windowMs, samples }) });
    sources.start('r1', { path, baselineAddresses: ['127.0.0.1:8081'], candidateAddresses: ['127.0.0.1:8082'], pollIntervalMs: 10, startAt: 'start' }, 1_000);
    await appendFile(path, line(8082, 503) + line(8081, 200));
    await expect.poll(() => batches.flatMap((b) => b.samples).length, { timeout: 5_000 }).toBe(2);
    expect(batches[0]).toMatchObject({ rolloutId: 'r1', windowMs: 1_000 });
    expect(batches.flatMap((b) => b.samples)).toEqual([
      { variant: 'canary', at: 1_700_000_000_250, ok: false, latencyMs: 4 },
      { variant: 'baseline', at: 1_700_000_000_250, ok: true, latencyMs: 4 },
    ]);
    await sources.stopAll();
  });

  it('validates the options with their paths', () => {
    expect(() => validateAccessLogSource({ path, baselineAddresses: [] })).toThrowError(expect.objectContaining({ code: 'SLUICE_E_ADAPTER_OPTIONS', message: expect.stringMatching(/baselineAddresses[\s\S]*candidateAddresses/) }));
    expect(() => validateAccessLogSource(undefined)).not.toThrow();
  });
});
