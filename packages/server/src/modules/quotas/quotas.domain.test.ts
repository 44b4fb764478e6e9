import { describe, expect, it } from 'vitest';
import { aboveCeiling, refusalToRun, refusalToRunInOrg } from './quotas.domain.js';

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

describe('refusalToRunInOrg', () => {
  const org = { credits: 4, memberCreditCap: 2, allowedTypes: ['small'], maxEnvironments: 3 };
  const usage = (creditsInUse: number, memberCreditsInUse: number, environments = 0) => ({ creditsInUse, memberCreditsInUse, environments });

  it('allows what fits both the pool and the member cap', () => {
    expect(refusalToRunInOrg(org, small, usage(2, 1), { isNew: true })).toBeNull();
  });

  it('refuses past the pool before the cap, naming the organization', () => {
    const err = refusalToRunInOrg(org, small, usage(4, 0), { isNew: true });
    expect(err?.code).toBe('insufficient_credits');
    expect(err?.message).toMatch(/organization has 0 left of 4/);
  });

  it("refuses past the member's cap with the pool still open", () => {
    const err = refusalToRunInOrg(org, small, usage(2, 2), { isNew: true });
    expect(err?.code).toBe('member_credit_cap');
    expect(err?.message).toMatch(/you use 2 of the 2/);
    expect(refusalToRunInOrg({ ...org, memberCreditCap: null }, small, usage(2, 2), { isNew: true })).toBeNull();
  });

  it('checks types and the environment limit for new environments only', () => {
    expect(refusalToRunInOrg(org, { name: 'large', creditsCost: 1 }, usage(0, 0), { isNew: true })?.code).toBe('machine_type_not_allowed');
    expect(refusalToRunInOrg(org, small, usage(0, 0, 3), { isNew: true })?.code).toBe('environment_limit');
    expect(refusalToRunInOrg(org, small, usage(0, 0, 3), { isNew: false })).toBeNull();
  });
});

describe('aboveCeiling', () => {
  const ceiling = { credits: 10, maxEnvironments: 5, allowedTypes: ['small', 'gpu'] };

  it('allows anything within, and names the first field above', () => {
    expect(aboveCeiling({ credits: 10, maxEnvironments: 5, allowedTypes: ['gpu'] }, ceiling)).toBeNull();
    expect(aboveCeiling({ credits: 11, maxEnvironments: 5, allowedTypes: [] }, ceiling)?.message).toMatch(/^credits: at most 10/);
    expect(aboveCeiling({ credits: 1, maxEnvironments: 6, allowedTypes: [] }, ceiling)?.message).toMatch(/^maxEnvironments: at most 5/);
    expect(aboveCeiling({ credits: 1, maxEnvironments: 1, allowedTypes: ['large'] }, ceiling)?.code).toBe('quota_above_ceiling');
  });
});
