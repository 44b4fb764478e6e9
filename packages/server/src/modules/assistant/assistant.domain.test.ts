import { describe, expect, it } from 'vitest';
import { capText, costUsd, exactEdit, globToRegExp, lineRange, startOfUtcDay, usesPerDay } from './assistant.domain.js';

describe('costUsd', () => {
  it('prices prompt and completion tokens per 1,000 at their own prices', () => {
    expect(costUsd(1200, 300, { input: 0.5, output: 1.5 })).toBe(1.05);
    expect(costUsd(1, 1, { input: 0.00015, output: 0.0006 })).toBe(0.00000075);
    expect(costUsd(0, 0, { input: 3, output: 3 })).toBe(0);
  });
});

describe('capText', () => {
  it('keeps text within the cap and says when it cut, never splitting a character', () => {
    expect(capText('short', 10)).toEqual({ text: 'short', truncated: false });
    expect(capText('héllo', 2)).toEqual({ text: 'h', truncated: true });
    expect(capText('abcdef', 3)).toEqual({ text: 'abc', truncated: true });
  });
});

describe('exactEdit', () => {
  it('replaces a text that occurs exactly once', () => {
    expect(exactEdit('a = 1\nb = 2\n', 'b = 2', 'b = 3')).toEqual({ ok: true, content: 'a = 1\nb = 3\n' });
  });
  it('refuses a text found twice, not at all, or empty', () => {
    expect(exactEdit('x x', 'x', 'y')).toMatchObject({ ok: false, reason: expect.stringMatching(/more than once/) });
    expect(exactEdit('abc', 'z', 'y')).toMatchObject({ ok: false, reason: expect.stringMatching(/not found/) });
    expect(exactEdit('abc', '', 'y')).toMatchObject({ ok: false });
  });
});

describe('lineRange', () => {
  it('numbers the lines asked for and says whether more follow', () => {
    expect(lineRange('a\nb\nc\n', 2, 1)).toEqual({ text: '     2\tb', more: true, total: 3 });
    expect(lineRange('a\nb\nc\n', 1, 10)).toMatchObject({ more: false, total: 3 });
  });
});

describe('usesPerDay', () => {
  it('takes the user quota in a personal organization, else the member override over the organization default', () => {
    expect(usesPerDay({ personal: true, orgDefault: 9, memberOverride: 7, personalQuota: 5 })).toBe(5);
    expect(usesPerDay({ personal: false, orgDefault: 9, memberOverride: 7, personalQuota: 5 })).toBe(7);
    expect(usesPerDay({ personal: false, orgDefault: 9, memberOverride: null, personalQuota: 5 })).toBe(9);
    expect(usesPerDay({ personal: false, orgDefault: 9, memberOverride: 0, personalQuota: 5 })).toBe(0);
  });
});

describe('startOfUtcDay', () => {
  it('is midnight UTC of the same UTC day', () => {
    expect(startOfUtcDay(new Date('2026-03-04T23:59:59.999Z')).toISOString()).toBe('2026-03-04T00:00:00.000Z');
  });
});

describe('globToRegExp', () => {
  it('matches *, ** and ? over relative paths', () => {
    expect(globToRegExp('*.ts').test('a.ts')).toBe(true);
    expect(globToRegExp('*.ts').test('src/a.ts')).toBe(false);
    expect(globToRegExp('src/**/*.ts').test('src/a.ts')).toBe(true);
    expect(globToRegExp('src/**/*.ts').test('src/x/y/a.ts')).toBe(true);
    expect(globToRegExp('**/*.md').test('README.md')).toBe(true);
    expect(globToRegExp('?.txt').test('ab.txt')).toBe(false);
  });
});
