import type { CommandEntry } from './commands/index.js';

/** The CLI's version, as `sluice --version` prints it. */
export const CLI_VERSION = '0.1.0';

/** The program's one-line description, first in `sluice --help`. */
export const PROGRAM_DESCRIPTION = 'Progressive delivery with sequential canary judgment and an auditable event log';

/** Columns `sluice --help` wraps at when the output is not a terminal (commander's default). */
export const HELP_WIDTH_DEFAULT = 80;

/** Below this many columns for a description, descriptions are not wrapped (commander's `minWidthToWrap`). */
const WRAP_WIDTH_MIN = 40;

/**
 * `sluice --help`, written from the command registry alone, so that printing it loads no command's code and not
 * commander either. The layout is commander's own (Usage, description, Options, Commands, wrapped the same way):
 * commands/index.test.ts compares this text with what commander prints for the fully loaded program.
 */
export function programHelp(entries: readonly CommandEntry[], helpWidth: number = HELP_WIDTH_DEFAULT): string {
  const options: [string, string][] = [
    ['-V, --version', 'output the version number'],
    ['-h, --help', 'display help for command'],
  ];
  const commands: [string, string][] = [...entries.map((e): [string, string] => [`${e.name} ${e.usage}`.trimEnd(), e.description]), ['help [command]', 'display help for command']];
  const termWidth = Math.max(...[...options, ...commands].map(([term]) => term.length));
  const item = ([term, description]: [string, string]): string => formatItem(term, termWidth, description, helpWidth);
  return [
    'Usage: sluice [options] [command]',
    '',
    boxWrap(PROGRAM_DESCRIPTION, helpWidth),
    '',
    'Options:',
    ...options.map(item),
    '',
    'Commands:',
    ...commands.map(item),
    '',
  ].join('\n');
}

/** Columns to wrap at: the terminal's width when stdout is one, else commander's default of 80. */
export function helpWidthOf(stream: { isTTY?: boolean; columns?: number }): number {
  return stream.isTTY === true && typeof stream.columns === 'number' && stream.columns > 0 ? stream.columns : HELP_WIDTH_DEFAULT;
}

function formatItem(term: string, termWidth: number, description: string, helpWidth: number): string {
  const spacerWidth = 2;
  const indent = '  ';
  const remainingWidth = helpWidth - termWidth - spacerWidth - indent.length;
  const wrapped = remainingWidth < WRAP_WIDTH_MIN ? description : boxWrap(description, remainingWidth).replace(/\n/g, `\n${' '.repeat(termWidth + spacerWidth)}`);
  return `${indent}${term.padEnd(termWidth)}${' '.repeat(spacerWidth)}${wrapped.replace(/\n/g, `\n${indent}`)}`;
}

/** Wraps at whitespace so no line is longer than `width` unless one word is (commander's Help.boxWrap). */
function boxWrap(text: string, width: number): string {
  if (width < WRAP_WIDTH_MIN) return text;
  const lines: string[] = [];
  for (const line of text.split(/\r\n|\n/)) {
    const chunks = line.match(/\s*\S+/g);
    if (chunks === null) {
      lines.push('');
      continue;
    }
    let current = chunks[0]!;
    for (const chunk of chunks.slice(1)) {
      if (current.length + chunk.length <= width) {
        current += chunk;
        continue;
      }
      lines.push(current);
      current = chunk.trimStart();
    }
    lines.push(current);
  }
  return lines.join('\n');
}
