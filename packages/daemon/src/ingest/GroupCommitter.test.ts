import { describe, expect, it } from 'vitest';
import { GROUP_BATCHES_MAX, GroupCommitter } from './GroupCommitter.js';

describe('group commit', () => {
  it('commits every batch submitted in one event-loop turn in one call, results in order', async () => {
    const groups: number[][] = [];
    const committer = new GroupCommitter<number, string>((items) => {
      groups.push([...items]);
      return items.map((i) => `ok ${i}`);
    });
    const results = await Promise.all([1, 2, 3].map((i) => committer.submit(i)));
    expect(results).toEqual(['ok 1', 'ok 2', 'ok 3']);
    expect(groups).toEqual([[1, 2, 3]]);
  });

  it('never puts more than GROUP_BATCHES_MAX batches in one commit', async () => {
    const sizes: number[] = [];
    const committer = new GroupCommitter<number, number>((items) => {
      sizes.push(items.length);
      return [...items];
    });
    await Promise.all(Array.from({ length: GROUP_BATCHES_MAX * 2 + 5 }, (_, i) => committer.submit(i)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(GROUP_BATCHES_MAX);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(GROUP_BATCHES_MAX * 2 + 5);
  });

  it('rejects every batch of a failed commit and refuses batches after close', async () => {
    const committer = new GroupCommitter<number, number>(() => {
      throw new Error('disk full');
    });
    await expect(Promise.all([committer.submit(1), committer.submit(2)])).rejects.toThrow('disk full');
    committer.close();
    await expect(committer.submit(3)).rejects.toMatchObject({ code: 'SLUICE_E_NOT_READY' });
  });
});
