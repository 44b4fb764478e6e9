import { describe, expect, it } from 'vitest';
import { createFilesRunner } from './files.runner.js';

const noExec = { exec: () => Promise.reject(new Error('no environment here')) };

describe('the files write lock', () => {
  it('runs writes of one file one after another, whichever API asked, and a failed one does not block the next', async () => {
    const { exclusive } = createFilesRunner(noExec);
    const order: string[] = [];
    let release = () => {};
    const first = exclusive('env', '/workspace/a', () => new Promise<void>((resolve) => (release = () => (order.push('first'), resolve()))));
    const failing = exclusive('env', '/workspace/a', async () => {
      order.push('failing');
      throw new Error('refused');
    });
    const third = exclusive('env', '/workspace/a', async () => void order.push('third'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    release();
    await first;
    await expect(failing).rejects.toThrow('refused');
    await third;
    expect(order).toEqual(['first', 'failing', 'third']);
  });

  it('lets writes of other files, or of the same path in another environment, go at once', async () => {
    const { exclusive } = createFilesRunner(noExec);
    const held = exclusive('env', '/workspace/a', () => new Promise<void>(() => {}));
    await expect(exclusive('env', '/workspace/b', async () => 'b')).resolves.toBe('b');
    await expect(exclusive('other', '/workspace/a', async () => 'other')).resolves.toBe('other');
    void held;
  });
});
