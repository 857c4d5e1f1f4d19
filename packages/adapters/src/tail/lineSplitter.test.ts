import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lineSplitter.js';

function split(chunks: (string | Buffer)[], lineBytesMax = 16): { lines: string[]; tooLong: string[] } {
  const lines: string[] = [];
  const tooLong: string[] = [];
  const splitter = new LineSplitter(lineBytesMax, { line: (t) => lines.push(t), tooLong: (h) => tooLong.push(h) });
  for (const chunk of chunks) splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return { lines, tooLong };
}

describe('line splitter', () => {
  it('joins lines across chunks, and a UTF-8 character split between two chunks', () => {
    const e = Buffer.from('é');
    expect(split(['ab', 'c\nd', Buffer.from([0x78, e[0]!]), Buffer.from([e[1]!, 0x0a])]).lines).toEqual(['abc', 'dxé']);
  });

  it('drops a line longer than the bound, whether it arrives whole or in pieces, and goes on after it', () => {
    expect(split(['x'.repeat(20) + '\nok\n'])).toEqual({ lines: ['ok'], tooLong: ['x'.repeat(20)] });
    expect(split(['y'.repeat(10), 'y'.repeat(10), 'y'.repeat(10), '\nnext\n'])).toEqual({ lines: ['next'], tooLong: ['y'.repeat(20)] });
  });

  it('keeps a partial last line until reset', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(64, { line: (t) => lines.push(t), tooLong: () => undefined });
    splitter.push(Buffer.from('one\ntw'));
    expect(lines).toEqual(['one']);
    expect(splitter.reset()).toBe('tw');
    splitter.push(Buffer.from('three\n'));
    expect(lines).toEqual(['one', 'three']);
  });
});
