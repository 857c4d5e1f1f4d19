import type { CliIo } from './main.js';

/** What `sluice watch` writes before each redraw on a terminal: clear the screen, cursor home. */
export const CLEAR_SCREEN = '\x1b[2J\x1b[H';

/**
 * Characters never written raw: C0 controls but tab and newline (ESC starts sequences that can rewrite the screen,
 * set the window title or, on some terminals, answer back; CR and BS overwrite what was printed), DEL, C1 controls
 * (U+009B is a one-character ESC [), line and paragraph separators, and the bidirectional overrides and isolates that
 * reorder what is displayed.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text as the CLI may print it: every unsafe character shown as `\u{1b}` instead. Names in specs are refused at
 * validation, but reasons, health details, adapter errors and logs written by older builds still carry text from
 * outside, so everything the CLI prints goes through this. Only CLEAR_SCREEN at the very start is kept: the CLI's
 * own sequence, never data.
 */
export function terminalSafe(text: string): string {
  const keep = text.startsWith(CLEAR_SCREEN) ? CLEAR_SCREEN : '';
  const rest = keep ? text.slice(keep.length) : text;
  UNSAFE.lastIndex = 0;
  if (!UNSAFE.test(rest)) return text;
  return keep + rest.replace(UNSAFE, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** The CLI's output with every write made terminal-safe. */
export function terminalSafeIo(io: CliIo): CliIo {
  return { out: (text) => io.out(terminalSafe(text)), err: (text) => io.err(terminalSafe(text)) };
}
