import { describe, expect, it } from 'vitest';
import { refusalToRun } from './quotas.domain.js';

const quota = { credits: 3, active: true, allowedTypes: ['small', 'medium'], maxEnvironments: 2 };
const small = { name: 'small', creditsCost: 1 };

describe('refusalToRun', () => {
  it('allows a type that fits the credits left', () => {
    expect(refusalToRun(quota, small, { creditsInUse: 2, environments: 1 }, { isNew: true })).toBeNull();
  });

  it('refuses more credits than are left, saying how many are needed and left', () => {
    const err = refusalToRun(quota, { name: 'medium', creditsCost: 2 }, { creditsInUse: 2, environments: 0 }, { isNew: true });
    expect(err?.code).toBe('insufficient_credits');
    expect(err?.message).toMatch(/needs 2 credit\(s\).*1 left of 3/);
  });

  it('refuses an inactive quota before anything else', () => {
    expect(refusalToRun({ ...quota, active: false }, { name: 'large', creditsCost: 9 }, { creditsInUse: 0, environments: 9 }, { isNew: true })?.code).toBe('quota_inactive');
  });

  it('refuses a type the quota does not allow, for new environments only', () => {
    const large = { name: 'large', creditsCost: 1 };
    expect(refusalToRun(quota, large, { creditsInUse: 0, environments: 0 }, { isNew: true })?.code).toBe('machine_type_not_allowed');
    expect(refusalToRun(quota, large, { creditsInUse: 0, environments: 1 }, { isNew: false })).toBeNull();
  });

  it('refuses a new environment past the limit but lets an existing one start', () => {
    expect(refusalToRun(quota, small, { creditsInUse: 0, environments: 2 }, { isNew: true })?.code).toBe('environment_limit');
    expect(refusalToRun(quota, small, { creditsInUse: 0, environments: 2 }, { isNew: false })).toBeNull();
  });
});
