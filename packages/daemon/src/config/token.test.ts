import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTokenFile } from './token.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('token files', () => {
  it('reads the first line, and refuses /dev/zero or a file over 4 KiB without reading it whole', () => {
    const good = join(dir, 'token');
    writeFileSync(good, 'token-0123456789abcdef\nignored\n');
    expect(readTokenFile(good)).toBe('token-0123456789abcdef');
    expect(() => readTokenFile('/dev/zero')).toThrow(expect.objectContaining({ code: 'SLUICE_E_TOKEN_FILE', message: expect.stringMatching(/larger than the 4096 bytes accepted/) }));
    const big = join(dir, 'big');
    writeFileSync(big, 'x'.repeat(5_000));
    expect(() => readTokenFile(big)).toThrow(/larger than the 4096 bytes accepted/);
  });
});
