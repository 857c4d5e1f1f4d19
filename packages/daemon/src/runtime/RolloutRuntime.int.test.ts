import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, validateSpec } from '@sluice/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { EventBus } from './EventBus.js';
import { RolloutRuntime } from './RolloutRuntime.js';

let dir = '';
let log: EventLog | undefined;
afterEach(() => {
  log?.close();
  log = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('RolloutRuntime', () => {
  it('a failed append reloads the session into the same entry, so holders of the entry see the state of the log', () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-runtime-'));
    log = EventLog.open(join(dir, 'sluice.db'));
    const runtime = new RolloutRuntime(log, new EventBus(), createLogger('silent'));
    const spec = validateSpec({ id: 'r', service: 'svc', baseline: 'v1', candidate: 'v2', stages: [{ name: 'canary', weightPercent: 10, gates: [] }] });
    const { entry } = runtime.create(spec, 1_000);
    const append = log.append.bind(log);
    log.append = () => {
      throw new Error('disk I/O error');
    };
    expect(() => runtime.command('r', 'rollback', 2_000)).toThrow(/disk I\/O error/);
    log.append = append;
    // The reconciler holds entries across adapter calls; a replaced entry would leave it reading a stale session.
    expect(runtime.get('r')).toBe(entry);
    expect(entry.session.nextPosition).toBe(log.nextPosition('r'));
    expect(entry.session.view.phase).toBe('progressing');
  });
});
