import { describe, expect, it } from 'vitest';
import { progressLine } from './progress.js';

describe('progressLine', () => {
  it('draws a bar with sizes and a percentage when the total is known', () => {
    expect(progressLine('↑', 5 * 1024 * 1024, 20 * 1024 * 1024)).toBe('↑ [######..................] 5.0 MiB / 20.0 MiB 25%');
    expect(progressLine('↓', 20 * 1024 * 1024, 20 * 1024 * 1024)).toContain('[########################] 20.0 MiB / 20.0 MiB 100%');
  });

  it('shows the bytes so far when the total is unknown', () => {
    expect(progressLine('↓', 1536, undefined)).toBe('↓ 2 KiB');
  });
});
