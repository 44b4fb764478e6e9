import type { Problem } from '@berth/contracts';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

/** A stack frame as V8 prints it: "at fn (/path/file.js:1:2)" or "at /path/file.js:1:2". */
const STACK_FRAME = /\bat\s+(?:\S+\s+\()?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+/;

/** Asserts a problem+json answer with this status and code, in full RFC 9457 shape and leaking no internals. */
export function expectProblem(res: LightMyRequestResponse, status: number, code: string): Problem {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = res.json<Problem>();
  expect(problem).toMatchObject({ type: `urn:berth:problem:${code}`, status, code });
  expect(problem.title).not.toBe('');
  expect(typeof problem.detail).toBe('string');
  expect(problem.detail).not.toBe('');
  expect(res.body).not.toMatch(STACK_FRAME);
  expect(res.body).not.toMatch(/"stack"|node_modules|\/work\/|packages\/server/);
  return problem;
}
