import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '../events/eventTypes.js';

/** Test helpers for the log (not exported from the package). */

/** A fresh directory for a test's log files; `cleanup` removes it. */
export function temporaryDirectory(prefix = 'sluice-log-'): { dir: string; file: (name?: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (name = 'events.db') => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small valid input event at `at`. */
export function healthEvent(at: number, ok = true): NewEvent {
  return { type: 'health.checked', at, data: { ok, target: 'http://candidate/healthz', detail: ok ? '200' : '503' } };
}

/** A valid decision event at `at`. */
export function pausedEvent(at: number, reason = 'operator'): NewEvent {
  return { type: 'paused', at, data: { reason } };
}
