import { EventLog, parseSpecText } from '@sluice/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReportData } from './reportData.js';
import { renderReportHtml } from './renderReport.js';
import { BREAKER_ONLY_SPEC_YAML, ROLLBACK_ID, simulateRollback, type SimulatedLog } from './testing/simulatedLog.js';

let simulated: SimulatedLog;
let log: EventLog;
beforeAll(() => {
  simulated = simulateRollback();
  log = EventLog.open(simulated.file, { readonly: true });
});
afterAll(() => {
  log.close();
  simulated.remove();
});

describe('buildReportData', () => {
  it('holds every window, and a recomputed verdict for every window each gate judged', () => {
    const data = buildReportData(log, ROLLBACK_ID);
    const events = [...log.read(ROLLBACK_ID)];
    const windows = events.filter((e) => e.type === 'samples.window');
    expect(data.windows.at).toEqual(windows.map((e) => e.at));
    expect(data.windows.canaryCount).toEqual(windows.map((e) => (e.type === 'samples.window' ? e.data.canary.count : -1)));
    expect(data.header.outcome).toBe('rolledBack');
    expect(data.header.ending?.gate).toBe('compareErrorRate');
    const gate = data.gates.find((g) => g.name === 'compareErrorRate')!;
    // Every canary-stage window is judged (the first may precede the verified weight), each tied to its window.
    expect(gate.verdicts.length).toBeGreaterThanOrEqual(data.stageTable[0]!.windows - 1);
    expect(gate.window.every((w) => w >= 0)).toBe(true);
    expect(gate.verdicts.endsWith('f')).toBe(true);
    expect(gate.logEValueWorse!.at(-1)!).toBeGreaterThanOrEqual(gate.logBound!);
    expect(gate.changes.at(-1)).toMatchObject({ verdict: 'fail' });
    const slow = data.gates.find((g) => g.metric === 'slowShare')!;
    expect(slow.canarySlow!.some((n) => n > 0)).toBe(true);
    // The per-stage table adds up the windows of its stage.
    const canaryRequests = windows.reduce((n, e) => n + (e.type === 'samples.window' && e.at <= data.stages[1]!.fromAt ? e.data.canary.count : 0), 0);
    expect(data.stageTable[0]!.canary.requests).toBe(canaryRequests);
    expect(data.stageTable[0]!.finalVerdicts?.compareErrorRate).toBe('fail');
    expect(data.replay.recomputedDecisions).toBeGreaterThan(gate.verdicts.length);
  });

  it('with another spec, shows the re-judged outcome and where the two runs part', () => {
    const spec = parseSpecText(BREAKER_ONLY_SPEC_YAML, 'breaker-only.yaml');
    const data = buildReportData(log, ROLLBACK_ID, { whatIf: { spec, file: 'breaker-only.yaml' } });
    expect(data.whatIf).not.toBeNull();
    expect(data.whatIf!.comparison.recorded.outcome).toBe('rolledBack');
    // The 20% breaker does not see a 1% → 5% regression: the re-judged run keeps the canary at its weight.
    expect(data.whatIf!.comparison.recomputed.outcome).not.toBe('rolledBack');
    expect(data.whatIf!.partAt).not.toBeNull();
    expect(data.whatIf!.partText).toMatch(/they part at step \d+: recorded: rollback from canary/);
    expect(data.weights.whatIfDesired!.map(([, weight]) => weight)).toEqual([10]);
    expect(data.weights.desired.map(([, weight]) => weight)).toEqual([10, 0]);
  });

  it('renders a page that keeps a log string from closing its data element', () => {
    const data = buildReportData(log, ROLLBACK_ID);
    data.rollout.service = '</script><script>alert(1)</script>';
    const html = renderReportHtml(data);
    expect(html).not.toContain('</script><script>alert(1)');
    expect(html).toContain('\\u003c/script>\\u003cscript>alert(1)');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)');
  });
});
