import { describe, expect, it } from 'vitest';
import { AppError, BerthError, TimedOutError } from '../../errors.js';
import { RuntimeUnavailableError } from '../../runtime/driver.js';
import { connectErrorOf, E2bApiError, e2bStatusOfError, EnvdError } from './e2b.errors.js';

describe('E2B errors in the one hierarchy', () => {
  it('are BerthErrors with the status their protocol pairs with their code', () => {
    const envd = new EnvdError('not_found', 'gone');
    expect(envd).toBeInstanceOf(BerthError);
    expect([envd.code, envd.status]).toEqual(['not_found', 404]);
    const api = new E2bApiError(502, 'The sandbox was not found');
    expect(api).toBeInstanceOf(BerthError);
    expect(api.status).toBe(502);
  });

  it('answer an unreachable runtime with 503 and Connect unavailable, keeping its detail', () => {
    const err = new RuntimeUnavailableError('Docker engine unavailable');
    expect(e2bStatusOfError(err)).toBe(503);
    expect(connectErrorOf(err)).toEqual({ code: 'unavailable', message: 'Docker engine unavailable' });
  });

  it("map Berth's codes the SDK must read otherwise (quota refusals as 429) and timeouts to deadline_exceeded", () => {
    expect(e2bStatusOfError(new AppError('insufficient_credits', 'no'))).toBe(429);
    expect(connectErrorOf(new AppError('process_limit', 'too many')).code).toBe('resource_exhausted');
    expect(connectErrorOf(new TimedOutError('slow')).code).toBe('deadline_exceeded');
    expect(connectErrorOf(new EnvdError('unimplemented', 'no')).code).toBe('unimplemented');
  });
});
