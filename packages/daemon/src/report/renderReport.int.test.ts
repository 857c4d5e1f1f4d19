import { EventLog } from '@sluice/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReportData } from './reportData.js';
import { renderReportHtml } from './renderReport.js';
import { HEALTHY_ID, simulateHealthy } from './testing/simulatedLog.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-report-size-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The page must stay under ~1 MB for a 6-hour rollout (docs/report.md, "Size and speed"). */
export const REPORT_BYTES_MAX_6H = 1_000_000;

describe('the report of a 6-hour rollout', () => {
  it('is one page under 1 MB that still holds every window', () => {
    const file = join(dir, 'events.db');
    // 50 requests/s keeps the simulation short; the page's size depends on windows and gates, not on traffic.
    const result = simulateHealthy(file, { hours: 7, requestsPerSecond: 50 });
    expect(result.outcome).toBe('completed');
    const log = EventLog.open(file, { readonly: true });
    try {
      const data = buildReportData(log, HEALTHY_ID);
      expect(data.stages.at(-1)!.toAt - data.stages[0]!.fromAt).toBeGreaterThanOrEqual(6 * 3_600_000);
      expect(data.windows.at.length).toBeGreaterThanOrEqual(4_320);
      const bytes = Buffer.byteLength(renderReportHtml(data));
      expect(bytes).toBeLessThan(REPORT_BYTES_MAX_6H);
    } finally {
      log.close();
    }
  }, 180_000);
});
