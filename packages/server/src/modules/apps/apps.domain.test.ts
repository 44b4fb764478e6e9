import { describe, expect, it } from 'vitest';
import { appHostLabel, dnsLabel, gitProtocols, gitUrlAllowed, planApp, replicaEnv, type ReleaseState } from './apps.domain.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const release = (number: number, status: ReleaseState['status'], supersededAt: Date | null = null): ReleaseState => ({ id: `r${number}`, number, status, supersededAt });

describe('app hosts', () => {
  it('is `<name>-<org>` with the org slug made a DNS label, at most 63 characters', () => {
    expect(dnsLabel('Acme_Corp.eu')).toBe('acme-corp-eu');
    expect(appHostLabel('web', 'Acme_Corp')).toBe('web-acme-corp');
    expect(appHostLabel('a'.repeat(31), 'b'.repeat(40))).toHaveLength(63);
    expect(appHostLabel('web', '-x-')).toBe('web-x');
  });
});

describe('git sources', () => {
  it('allows https, ssh (both forms) and git; file:// only where local sources are allowed', () => {
    for (const url of ['https://example.com/a.git', 'ssh://git@example.com/a.git', 'git@example.com:a/b.git', 'git://example.com/a.git']) expect(gitUrlAllowed(url, false), url).toBe(true);
    expect(gitUrlAllowed('file:///srv/repo', false)).toBe(false);
    expect(gitUrlAllowed('file:///srv/repo', true)).toBe(true);
  });

  it('refuses other transports, and tells git to use no others (a submodule or redirect to ext:: runs nothing)', () => {
    expect(gitUrlAllowed('ext://sh -c id', false)).toBe(false);
    expect(gitUrlAllowed('fd://3', false)).toBe(false);
    expect(gitProtocols(false)).toBe('https:http:ssh:git');
    expect(gitProtocols(true)).toBe('https:http:ssh:git:file');
  });
});

describe('replica environment', () => {
  it('opens secrets, passes plain values, and sets PORT last so config cannot move it', () => {
    const env = replicaEnv({ A: { value: 'plain', secret: false }, B: { value: 'sealed-b', secret: true }, PORT: { value: '1', secret: false } }, (s) => s.replace('sealed-', 'open-'), 8080);
    expect(env).toEqual({ A: 'plain', B: 'open-b', PORT: '8080' });
  });
});

describe('planApp', () => {
  it('advances only the newest release in progress; the older ones are overtaken', () => {
    const plan = planApp({ currentReleaseId: 'r1', releases: [release(1, 'live'), release(2, 'building'), release(3, 'pending')], replicas: [], drainMs: 10_000, now: at(0) });
    expect(plan.deploying?.number).toBe(3);
    expect(plan.overtaken.map((r) => r.number)).toEqual([2]);
  });

  it("keeps the current release's and the deploying release's replicas, and a superseded one's for the drain period", () => {
    const releases = [release(1, 'superseded', at(0)), release(2, 'superseded', at(5)), release(3, 'live'), release(4, 'starting')];
    const replicas = ['r1', 'r2', 'r3', 'r4'].map((releaseId) => ({ name: `${releaseId}-0`, releaseId }));
    const plan = planApp({ currentReleaseId: 'r3', releases, replicas, drainMs: 10_000, now: at(12) });
    expect(plan.remove).toEqual(['r1-0']);
    expect(plan.nextDrainAt).toEqual(at(15));
  });

  it('removes replicas no release knows (a failed one, or one gone from the database)', () => {
    const plan = planApp({ currentReleaseId: null, releases: [release(1, 'failed')], replicas: [{ name: 'x', releaseId: 'r1' }, { name: 'y', releaseId: 'gone' }], drainMs: 10_000, now: at(0) });
    expect(plan.remove).toEqual(['x', 'y']);
    expect(plan.deploying).toBeUndefined();
  });
});
