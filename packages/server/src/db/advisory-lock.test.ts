import { describe, expect, it } from 'vitest';
import type { Db } from './client.js';
import { withAdvisoryLock } from './advisory-lock.js';

/** A database whose transactions only run their work (the lock statement is not what is tested here). */
const fakeDb = { transaction: (fn: (tx: unknown) => Promise<unknown>) => fn({ execute: async () => undefined }) } as unknown as Pick<Db, 'transaction'>;

describe('withAdvisoryLock', () => {
  it('holds at most maxHeld at once; the next waits for a free one, in order', async () => {
    const lock = withAdvisoryLock(fakeDb, 2);
    const started: string[] = [];
    const releases = new Map<string, () => void>();
    const run = (key: string) =>
      lock(key, () => {
        started.push(key);
        return new Promise<void>((resolve) => releases.set(key, resolve));
      });
    const jobs = ['a', 'b', 'c', 'd'].map(run);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a', 'b']);
    releases.get('b')!();
    await jobs[1];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a', 'b', 'c']);
    releases.get('a')!();
    releases.get('c')!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    releases.get('d')!();
    await Promise.all(jobs);
  });

  it('frees its place when the work fails', async () => {
    const lock = withAdvisoryLock(fakeDb, 1);
    await expect(lock('a', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await expect(lock('b', async () => 'ran')).resolves.toBe('ran');
  });
});
