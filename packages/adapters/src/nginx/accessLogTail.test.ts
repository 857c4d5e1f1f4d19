import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccessLogTail, type AccessLogTail } from './accessLogTail.js';

const record = (port: number, status = 200, msec = 1_700_000_000.5): string =>
  `${JSON.stringify({ msec: String(msec), status: String(status), request_time: '0.010', upstream_addr: `127.0.0.1:${port}`, upstream_response_time: '0.009', variant: '' })}\n`;

describe('access-log tail (real files, polled by hand)', () => {
  let dir: string;
  let path: string;
  let tail: AccessLogTail;
  const warnings: object[] = [];
  const logger = { info: () => undefined, warn: (o: object) => void warnings.push(o) };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-tail-'));
    path = join(dir, 'access.log');
    warnings.length = 0;
  });
  afterEach(async () => {
    await tail?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const make = (extra: Record<string, unknown> = {}): AccessLogTail =>
    (tail = createAccessLogTail({ path, baselineAddresses: ['127.0.0.1:8081'], candidateAddresses: ['127.0.0.1:8082'], ...extra }, logger));

  it('starts at the end by default and reads appended lines', async () => {
    await writeFile(path, record(8081));
    make();
    expect(await tail.poll()).toEqual([]);
    await appendFile(path, record(8082, 500) + record(8081));
    expect((await tail.poll()).map((s) => [s.variant, s.ok])).toEqual([['canary', false], ['baseline', true]]);
    expect(await tail.poll()).toEqual([]);
  });

  it('waits for a partial line to be completed', async () => {
    await writeFile(path, '');
    make();
    await tail.poll();
    const full = record(8082);
    await appendFile(path, full.slice(0, 20));
    expect(await tail.poll()).toEqual([]);
    await appendFile(path, full.slice(20));
    expect(await tail.poll()).toHaveLength(1);
    expect(tail.stats.malformed).toBe(0);
  });

  it('follows rotation by rename, finishing the old file first', async () => {
    await writeFile(path, '');
    make({ startAt: 'start' });
    await appendFile(path, record(8081));
    expect(await tail.poll()).toHaveLength(1);
    await appendFile(path, record(8082));
    await rename(path, `${path}.1`);
    await appendFile(`${path}.1`, record(8082)); // nginx writes to the old file until it reopens its logs
    await writeFile(path, record(8081) + record(8081));
    const samples = await tail.poll();
    expect(samples.map((s) => s.variant)).toEqual(['canary', 'canary', 'baseline', 'baseline']);
    expect(tail.stats.rotations).toBe(1);
  });

  it('keeps reading the old file while the path is missing during a rotation', async () => {
    await writeFile(path, '');
    make();
    await tail.poll();
    await appendFile(path, record(8082));
    await rename(path, `${path}.1`);
    expect(await tail.poll()).toHaveLength(1);
    await writeFile(path, record(8081));
    expect((await tail.poll()).map((s) => s.variant)).toEqual(['baseline']);
  });

  it('follows truncation (copytruncate)', async () => {
    await writeFile(path, record(8081) + record(8081));
    make({ startAt: 'start' });
    expect(await tail.poll()).toHaveLength(2);
    await truncate(path, 0);
    await appendFile(path, record(8082));
    expect((await tail.poll()).map((s) => s.variant)).toEqual(['canary']);
    expect(tail.stats.truncations).toBe(1);
  });

  it('counts and logs malformed and overlong lines, never failing, and counts unmatched upstreams', async () => {
    await writeFile(path, `garbage\n${'x'.repeat(600)}\n${record(9999)}${record(8082)}`);
    make({ startAt: 'start', lineBytesMax: 512 });
    expect(await tail.poll()).toHaveLength(1);
    expect(tail.stats).toMatchObject({ malformed: 2, unmatched: 1, samples: 1 });
    expect(warnings.length).toBe(2);
  });

  it('reads at most readBytesMaxPerPoll per poll and the rest on the next', async () => {
    const one = record(8081);
    await writeFile(path, one.repeat(200));
    make({ startAt: 'start', readBytesMaxPerPoll: 4_096 });
    const first = await tail.poll();
    expect(first.length).toBeLessThan(200);
    let total = first.length;
    for (let i = 0; i < 20 && total < 200; i++) total += (await tail.poll()).length;
    expect(total).toBe(200);
  });

  it('tolerates a log that does not exist yet', async () => {
    make();
    expect(await tail.poll()).toEqual([]);
    await writeFile(path, record(8082));
    expect(await tail.poll()).toEqual([]); // startAt end applies to the file first seen
    await appendFile(path, record(8082));
    expect(await tail.poll()).toHaveLength(1);
  });

  it('rejects bad options with SLUICE_E_ADAPTER_OPTIONS', () => {
    expect(() => createAccessLogTail({ path, baselineAddresses: ['a:1'], candidateAddresses: ['a:1'] })).toThrowError(expect.objectContaining({ code: 'SLUICE_E_ADAPTER_OPTIONS' }));
  });
});
