import { ORG_ROLES, type OrgRole } from '@berth/contracts';
import { describe, expect, it } from 'vitest';
import { environmentLevel, ORG_POLICY, roleMay, type EnvironmentLevel, type ShareLevel } from './auth.policy.js';

describe('the organization policy table', () => {
  it('lets every role read, all but viewers create, owners and admins manage, and only owners own', () => {
    const table = Object.fromEntries(ORG_ROLES.map((role) => [role, Object.keys(ORG_POLICY).filter((a) => roleMay(role, a as keyof typeof ORG_POLICY))]));
    expect(table).toEqual({
      owner: ['org.read', 'org.create', 'org.manage', 'org.own'],
      admin: ['org.read', 'org.create', 'org.manage'],
      member: ['org.read', 'org.create'],
      viewer: ['org.read'],
    });
  });
});

describe('environment levels', () => {
  const level = (role: OrgRole | undefined, isCreator = false, share?: ShareLevel, isInstanceAdmin = false) => environmentLevel({ role, isCreator, share, isInstanceAdmin });

  it("gives the organization's owners and admins, and the creator, the whole environment", () => {
    expect(level('owner')).toBe('manage');
    expect(level('admin')).toBe('manage');
    expect(level('member', true)).toBe('manage');
  });

  it('gives a member what a team share grants, and nothing without one', () => {
    const cases: [ShareLevel | undefined, EnvironmentLevel | null][] = [
      [undefined, null],
      ['view', 'view'],
      ['use', 'use'],
    ];
    for (const [share, expected] of cases) expect(level('member', false, share)).toBe(expected);
  });

  it('lets a viewer see, never touch, even what is shared with use or what they made', () => {
    expect(level('viewer', false, 'use')).toBe('view');
    expect(level('viewer', true)).toBe('view');
    expect(level('viewer')).toBeNull();
  });

  it('hides the environment from anyone outside its organization, shares or not, but not from instance admins', () => {
    expect(level(undefined, false, 'use')).toBeNull();
    expect(level(undefined, true)).toBeNull();
    expect(level(undefined, false, undefined, true)).toBe('manage');
  });
});
