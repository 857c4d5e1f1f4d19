import { describe, expect, it } from 'vitest';
import { CLEAR_SCREEN, terminalSafe, terminalSafeIo } from './terminalText.js';

describe('terminalSafe', () => {
  it('shows control characters, C1 controls and bidi overrides as escapes, keeping tabs and newlines', () => {
    expect(terminalSafe('check\x1b[2Jout\r\x07\u009b31m\u202egnp.exe\tok\n')).toBe('check\\u{1b}[2Jout\\u{d}\\u{7}\\u{9b}31m\\u{202e}gnp.exe\tok\n');
    expect(terminalSafe('plain → text ✓\n')).toBe('plain → text ✓\n');
  });

  it("keeps only the CLI's own clear-screen at the start of a write", () => {
    expect(terminalSafe(`${CLEAR_SCREEN}rollout a\n`)).toBe(`${CLEAR_SCREEN}rollout a\n`);
    expect(terminalSafe(`rollout ${CLEAR_SCREEN}`)).toBe('rollout \\u{1b}[2J\\u{1b}[H');
  });

  it('applies to both streams of the CLI', () => {
    let out = '';
    let err = '';
    const io = terminalSafeIo({ out: (t) => void (out += t), err: (t) => void (err += t) });
    io.out('a\x1bb');
    io.err('c\u009bd');
    expect([out, err]).toEqual(['a\\u{1b}b', 'c\\u{9b}d']);
  });
});
