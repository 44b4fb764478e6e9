import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeOrWait } from './streams.js';

/** A writable that takes nothing until told to, with room for one small chunk. */
function stalled() {
  let take: (() => void)[] = [];
  const out = new Writable({
    highWaterMark: 4,
    write(_chunk, _encoding, done) {
      take.push(done);
    },
  });
  const drainAll = () => {
    const pending = take;
    take = [];
    pending.forEach((done) => done());
  };
  return { out, drainAll };
}

describe('writeOrWait', () => {
  it('answers nothing while there is room, and a wait once the stream is full', () => {
    const { out } = stalled();
    expect(writeOrWait(out, 'ab')).toBeUndefined();
    expect(writeOrWait(out, 'cdef')).toBeInstanceOf(Promise);
  });

  it('gives every writer that finds the stream full the same wait, listening once, and settles it on drain', async () => {
    const { out, drainAll } = stalled();
    const waits = Array.from({ length: 20 }, () => writeOrWait(out, 'full'));
    expect(new Set(waits).size).toBe(1);
    expect(out.listenerCount('drain')).toBe(1);
    let settled = false;
    void waits[0]!.then(() => (settled = true));
    // Each write is taken as the one before it is done; drain comes once all are.
    for (let turn = 0; turn < 100 && !settled; turn++) {
      drainAll();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(settled).toBe(true);
    expect(out.listenerCount('drain')).toBe(0);
    // Full again: a new wait, not the settled one.
    const again = writeOrWait(out, 'more than four');
    expect(again).toBeInstanceOf(Promise);
    expect(again).not.toBe(waits[0]);
  });

  it('settles the wait when the stream closes instead of draining', async () => {
    const { out } = stalled();
    const wait = writeOrWait(out, 'full up');
    out.destroy();
    await expect(wait).resolves.toBeUndefined();
    expect(out.listenerCount('close')).toBe(0);
  });
});
