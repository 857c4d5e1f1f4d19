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

  it('refuses a batch that would take the queued size past its bound, always takes one into an empty queue', async () => {
    const committed: number[][] = [];
    const committer = new GroupCommitter<number, number>((items) => {
      committed.push([...items]);
      return [...items];
    }, { sizeOf: (n) => n, queuedSizeMax: 10 });
    const first = committer.submit(6);
    const second = committer.submit(4);
    await expect(committer.submit(1)).rejects.toMatchObject({ code: 'SLUICE_E_INGEST_OVERLOADED', message: expect.stringContaining('10 of at most 10') });
    await expect(Promise.all([first, second])).resolves.toEqual([6, 4]);
    // Flushed: the size is free again, and a batch larger than the bound is taken when nothing waits.
    await expect(committer.submit(25)).resolves.toBe(25);
    await expect(Promise.all([committer.submit(3), committer.submit(7)])).resolves.toEqual([3, 7]);
    expect(committed).toEqual([[6, 4], [25], [3, 7]]);
  });
});
