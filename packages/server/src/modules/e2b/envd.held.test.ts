import { describe, expect, it } from 'vitest';
import { FrameReader, frame } from './envd.held.js';

describe("berth-hold's frames", () => {
  it('are a type byte, a big-endian u32 length and the payload', () => {
    expect([...frame('d', Buffer.from('hi'))]).toEqual([0x64, 0, 0, 0, 2, 0x68, 0x69]);
    expect([...frame('k')]).toEqual([0x6b, 0, 0, 0, 0]);
  });

  it('are read back whole whatever the chunks they arrive in', () => {
    const stream = Buffer.concat([frame('h', Buffer.from([0, 0, 1, 2])), frame('o', Buffer.from('out')), frame('x', Buffer.alloc(6))]);
    for (const size of [1, 2, 5, 7, stream.length]) {
      const reader = new FrameReader();
      const frames = [];
      for (let at = 0; at < stream.length; at += size) frames.push(...reader.push(stream.subarray(at, at + size)));
      expect(frames.map((f) => [f.type, f.data.toString('hex')])).toEqual([
        ['h', '00000102'],
        ['o', Buffer.from('out').toString('hex')],
        ['x', '000000000000'],
      ]);
    }
  });
});
