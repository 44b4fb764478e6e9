import { describe, expect, it } from 'vitest';
import { Scrollback } from './terminal.scrollback.js';

describe('Scrollback', () => {
  it('keeps everything under its capacity', () => {
    const s = new Scrollback(10);
    s.push(Buffer.from('abc'));
    s.push(Buffer.from('def'));
    expect(s.contents().toString()).toBe('abcdef');
  });

  it('keeps exactly the last capacity bytes once more was written', () => {
    const s = new Scrollback(5);
    for (const part of ['hello ', 'big ', 'world']) s.push(Buffer.from(part));
    expect(s.contents().toString()).toBe('world');
    s.push(Buffer.from('!'));
    expect(s.contents().toString()).toBe('orld!');
  });

  it('handles a single chunk larger than the capacity', () => {
    const s = new Scrollback(4);
    s.push(Buffer.from('0123456789'));
    expect(s.contents().toString()).toBe('6789');
  });
});
