import { describe, expect, it } from 'vitest';
import { asText, OutputTail, RUN_CODE_LANGUAGES, runCodePlan } from './mcp.domain.js';

describe('runCodePlan', () => {
  it('writes each language under /workspace and runs that very file', () => {
    for (const language of RUN_CODE_LANGUAGES) {
      const { file, argv } = runCodePlan(language);
      expect(argv.at(-1)).toBe(`/workspace/${file}`);
    }
    expect(runCodePlan('python').argv[0]).toBe('python3');
    expect(runCodePlan('javascript').argv[0]).toBe('node');
  });
});

describe('OutputTail', () => {
  it('keeps the last bytes and counts what it dropped from the start', () => {
    const tail = new OutputTail(5);
    tail.push(Buffer.from('abc'));
    tail.push(Buffer.from('defg'));
    expect(tail.text()).toBe('cdefg');
    expect(tail.dropped).toBe(2);
    tail.push(Buffer.from('0123456789'));
    expect(tail.text()).toBe('56789');
    expect(tail.dropped).toBe(12);
  });
});

describe('asText', () => {
  it('gives UTF-8 as text and anything else as base64', () => {
    expect(asText(Buffer.from('héllo\n'))).toEqual({ encoding: 'utf8', content: 'héllo\n' });
    expect(asText(Buffer.from([0, 255, 1]))).toEqual({ encoding: 'base64', content: 'AP8B' });
  });
});
