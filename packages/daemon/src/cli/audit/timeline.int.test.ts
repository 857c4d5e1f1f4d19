import { EventLog, replay, type AnyStoredEvent } from '@sluice/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR, START_AT, writeAuditLogs } from './auditLogs.fixture.js';
import { momentAt } from './moment.js';
import { parseAuditTime } from './parseAuditTime.js';
import { buildTimeline, TIMELINE_ENTRIES_MAX } from './timeline.js';

// The timeline is a pure function of stored events; the events come from real simulated logs written to SQLite (see the
// fixture), hence the int tier.
let dir: string;
let file: string;
const events: Record<'ok' | 'bad' | 'held', AnyStoredEvent[]> = { ok: [], bad: [], held: [] };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-audit-timeline-'));
  file = join(dir, 'events.db');
  writeAuditLogs(file);
  const log = EventLog.open(file, { readonly: true });
  events.ok = [...log.read('ok')];
  events.bad = [...log.read('bad')];
  events.held = [...log.read('held')];
  log.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const iso = (at: number) => new Date(at).toISOString();
const first = (list: AnyStoredEvent[], predicate: (e: AnyStoredEvent) => boolean) => {
  const found = list.find(predicate);
  if (!found) throw new Error('the fixture log lacks an expected event');
  return found;
};

describe('buildTimeline on a rolled-back rollout', () => {
  it('names the deciding gate with its evidence and times the rollback from the first failing verdict to verified 0', () => {
    const t = buildTimeline(events.bad);
    const started = first(events.bad, (e) => e.type === 'rollback.started');
    if (started.type !== 'rollback.started') throw new Error('unreachable');
    const firstFail = first(events.bad, (e) => e.type === 'gate.evaluated' && e.data.gate === started.data.gate && e.data.verdict === 'fail');
    const zero = first(events.bad, (e) => e.type === 'weight.applied' && e.data.weightPercent === 0);
    expect(t.outcome).toBe('rolledBack');
    expect(t.ending).toMatchObject({
      outcome: 'rolledBack',
      at: iso(started.at),
      stage: 'canary',
      reason: 'gate',
      gate: 'compareErrorRate',
      summary: started.data.evidence.summary,
      firstFailAt: iso(firstFail.at),
      finalWeightPercent: 0,
      finalWeightVerifiedAt: iso(zero.at),
      firstFailToVerifiedMs: zero.at - firstFail.at,
      decisionToVerifiedMs: zero.at - started.at,
    });
    expect(t.ending?.evidence).toMatchObject({ alpha: 0.001, bound: 1000, tolerance: 0.2 });
    expect(t.reason).toContain('gate compareErrorRate');
    // The gradual rollback went through 5% before 0.
    expect(t.entries.filter((e) => e.kind === 'weightDesired').map((e) => e.text)).toEqual([
      expect.stringContaining('desired 10%'),
      expect.stringContaining('desired 5%'),
      expect.stringContaining('desired 0%'),
    ]);
  });

  it('condenses every gate verdict into counts and first pass/fail times, and lists only changes in the timeline', () => {
    const t = buildTimeline(events.bad);
    const evaluated = events.bad.filter((e) => e.type === 'gate.evaluated');
    expect(t.gates.reduce((n, g) => n + g.evaluations, 0)).toBe(evaluated.length);
    const breaker = t.gates.find((g) => g.gate === 'errorRate')!;
    expect(breaker.verdicts.fail).toBe(0);
    expect(breaker.firstPassAt).toBe(iso(first(evaluated, (e) => e.type === 'gate.evaluated' && e.data.gate === 'errorRate' && e.data.verdict === 'pass').at));
    const gateLines = t.entries.filter((e) => e.kind === 'gateVerdict');
    expect(gateLines.length).toBeLessThan(evaluated.length);
    expect(t.entries.some((e) => e.text.startsWith('window'))).toBe(false);
  });

  it('counts every verdict recomputed from the inputs when asked, since the log holds only the new ones', () => {
    const recorded = buildTimeline(events.bad);
    const t = buildTimeline(events.bad, { recomputeVerdicts: true });
    const log = EventLog.open(file, { readonly: true });
    const every = replay(log, 'bad', { everyVerdict: true, keepDecisions: true });
    log.close();
    const computed = every.decisions.filter((d) => d.type === 'gate.evaluated');
    expect([recorded.verdictsRecomputed, t.verdictsRecomputed]).toEqual([false, true]);
    expect(t.gates.reduce((n, g) => n + g.evaluations, 0)).toBe(computed.length);
    expect(computed.length).toBeGreaterThan(events.bad.filter((e) => e.type === 'gate.evaluated').length);
    // The same changes make the timeline's lines, and the same first failure times the rollback.
    expect(t.entries).toEqual(recorded.entries);
    expect(t.ending).toEqual(recorded.ending);
    const breaker = t.gates.find((g) => g.gate === 'errorRate')!;
    expect(breaker.lastAt).toBe(iso(computed.filter((d) => d.type === 'gate.evaluated' && d.data.gate === 'errorRate').at(-1)!.at));
  });

  it('records the operator: commands with actor and reason, the pause, and the rejected command', () => {
    const t = buildTimeline(events.bad);
    const texts = t.entries.map((e) => `${e.kind} ${e.text}`);
    expect(texts).toContain(`command pause by ${OPERATOR}: checking dashboards`);
    expect(texts).toContain(`command resume by ${OPERATOR}: dashboards fine`);
    expect(texts.some((s) => s.startsWith('paused '))).toBe(true);
    expect(texts.some((s) => s.startsWith('resumed'))).toBe(true);
    expect(texts.some((s) => s.startsWith('commandRejected resume rejected in progressing'))).toBe(true);
  });
});

describe('buildTimeline on a completed rollout', () => {
  it('shows the plan, the approval, every stage with its verified weight, and the completion', () => {
    const t = buildTimeline(events.ok);
    expect(t).toMatchObject({ rolloutId: 'ok', service: 'checkout', baseline: 'v1', candidate: 'v2', outcome: 'completed', phase: 'completed', createdAt: iso(START_AT) });
    expect(t.plan.map((s) => [s.name, s.weightPercent, s.approval, s.gates])).toEqual([
      ['canary', 10, 'manual', ['errorRate']],
      ['full', 100, null, ['errorRate']],
    ]);
    const kinds = t.entries.map((e) => e.kind);
    expect(kinds.indexOf('awaitingApproval')).toBeLessThan(kinds.lastIndexOf('stageEntered'));
    expect(t.entries.find((e) => e.kind === 'command' && e.text.startsWith('approve'))?.text).toBe(`approve by ${OPERATOR}: canary looks good`);
    const full = first(events.ok, (e) => e.type === 'weight.applied' && e.data.weightPercent === 100);
    // The last stage ran at 100%: the weight was in force before the completion was decided.
    expect(t.ending).toMatchObject({ outcome: 'completed', stage: 'full', finalWeightPercent: 100, finalWeightVerifiedAt: iso(full.at), decisionToVerifiedMs: null, firstFailAt: null });
    expect(t.endedAt).toBe(iso(events.ok.at(-1)!.at));
  });

  it('keeps at most TIMELINE_ENTRIES_MAX entries and counts the rest', () => {
    const command = first(events.ok, (e) => e.type === 'command.issued');
    const flood = Array.from({ length: TIMELINE_ENTRIES_MAX + 5 }, (_, i) => ({ ...command, position: 1_000 + i }));
    const t = buildTimeline([...events.ok, ...flood]);
    expect(t.entries).toHaveLength(TIMELINE_ENTRIES_MAX);
    expect(t.entriesOmitted).toBeGreaterThan(5);
  });
});

describe('buildTimeline on a rollout that held and was aborted', () => {
  it('shows the hold with its gate, then the abort by the operator as the ending', () => {
    const t = buildTimeline(events.held);
    const held = first(events.held, (e) => e.type === 'stage.held');
    expect(t.entries.find((e) => e.kind === 'held')).toMatchObject({ at: iso(held.at), text: expect.stringContaining('holding on gate errorRate') });
    expect(t.entries.find((e) => e.kind === 'held')?.evidence).toMatchObject({ maxPercent: 10 });
    expect(t.outcome).toBe('aborted');
    expect(t.ending).toMatchObject({ outcome: 'aborted', stage: 'canary', actor: OPERATOR, reason: expect.stringContaining('the candidate fails') });
    // The simulator stops at the terminal decision: no adapter verified 0% in this log, and the audit says so.
    expect(t.ending?.finalWeightVerifiedAt).toBeNull();
  });

  it('names the hold as the ending while the rollout is still holding', () => {
    const untilHeld = events.held.filter((e) => e.position <= first(events.held, (x) => x.type === 'stage.held').position);
    const t = buildTimeline(untilHeld);
    expect(t).toMatchObject({ outcome: 'unfinished', phase: 'holding', ending: { outcome: 'held', gate: 'errorRate' } });
    expect(t.reason).toMatch(/^holding in stage canary \(gate errorRate\): canary error rate/);
  });
});

describe('momentAt', () => {
  it('answers "why at that moment" with the rollback decision and the state then', () => {
    const t = buildTimeline(events.bad);
    const started = first(events.bad, (e) => e.type === 'rollback.started');
    const m = momentAt(events.bad, started.at, t);
    expect(m.nearest).toMatchObject({ kind: 'rollbackStarted', offsetMs: 0, at: iso(started.at) });
    expect(m.nearest?.evidence).toMatchObject({ alpha: 0.001 });
    expect(m.rollout).toMatchObject({ id: 'bad', state: { phase: 'rollingBack', desiredWeightPercent: 5 } });
    expect(m.before.length).toBeGreaterThan(0);
    expect(m.after.map((e) => e.kind)).toContain('weightDesired');
  });

  it('shows a paused rollout while paused, with the pause as the nearest decision', () => {
    const t = buildTimeline(events.bad);
    const m = momentAt(events.bad, START_AT + 22_000, t);
    expect(m.rollout).toMatchObject({ state: { phase: 'paused', appliedWeightPercent: 10 } });
    expect(m.nearest).toMatchObject({ kind: 'paused', offsetMs: -2_000 });
  });
});

describe('parseAuditTime', () => {
  const rollout = { firstAt: Date.UTC(2026, 0, 15, 13, 50), lastAt: Date.UTC(2026, 0, 16, 0, 30) };
  it('reads ISO times as UTC, clock times on the rollout’s days, and ms since epoch', () => {
    expect(parseAuditTime('2026-01-15T14:02:00Z', rollout)).toBe(Date.UTC(2026, 0, 15, 14, 2));
    expect(parseAuditTime('2026-01-15T14:02:00', rollout)).toBe(Date.UTC(2026, 0, 15, 14, 2));
    expect(parseAuditTime('2026-01-15T15:02:00+01:00', rollout)).toBe(Date.UTC(2026, 0, 15, 14, 2));
    expect(parseAuditTime('14:02', rollout)).toBe(Date.UTC(2026, 0, 15, 14, 2));
    expect(parseAuditTime('14:02:10.5', rollout)).toBe(Date.UTC(2026, 0, 15, 14, 2, 10, 500));
    // 00:10 is not within the rollout on its first day, but is on the next.
    expect(parseAuditTime('00:10', rollout)).toBe(Date.UTC(2026, 0, 16, 0, 10));
    expect(parseAuditTime(String(Date.UTC(2026, 0, 15, 14, 2)), rollout)).toBe(Date.UTC(2026, 0, 15, 14, 2));
  });

  it('refuses anything else with SLUICE_E_ARGUMENT_INVALID', () => {
    for (const bad of ['25:00', '14:61', 'yesterday', '2026-13-45T00:00:00Z', '']) {
      expect(() => parseAuditTime(bad, rollout), bad).toThrow(expect.objectContaining({ code: 'SLUICE_E_ARGUMENT_INVALID' }));
    }
  });
});
