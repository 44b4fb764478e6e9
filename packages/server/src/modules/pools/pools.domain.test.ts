import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { planPool, poolVersion, type PoolMember, type PoolTarget } from './pools.domain.js';

const target: PoolTarget = { machineType: 'small', image: 'img:1', vcpus: 1, memoryMb: 1024, diskGib: 5, template: null, nodeLabels: {}, runtimeClass: 'standard' };
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const member = (id: string, status: string, version: string | null, s = 0): PoolMember => ({ id, status, poolVersion: version, createdAt: at(s) });

describe('poolVersion', () => {
  it('changes with anything an environment is built with, and only then', () => {
    const v = poolVersion(target);
    expect(poolVersion({ ...target })).toBe(v);
    expect(poolVersion({ ...target, image: 'img:2' })).not.toBe(v);
    expect(poolVersion({ ...target, memoryMb: 2048 })).not.toBe(v);
    const withTemplate = { ...target, template: { id: 't', files: [{ path: 'a', content: 'x', mode: '0644' }], startCommand: null } };
    expect(poolVersion(withTemplate)).not.toBe(v);
    expect(poolVersion({ ...withTemplate, template: { ...withTemplate.template, startCommand: 'npm start' } })).not.toBe(poolVersion(withTemplate));
    expect(poolVersion({ ...withTemplate, template: { ...withTemplate.template, files: [{ path: 'a', content: 'y', mode: '0644' }] } })).not.toBe(poolVersion(withTemplate));
  });

  it('changes with the node labels required, whatever their order', () => {
    const gpu = poolVersion({ ...target, nodeLabels: { gpu: 'true', zone: 'a' } });
    expect(gpu).not.toBe(poolVersion(target));
    expect(poolVersion({ ...target, nodeLabels: { zone: 'a', gpu: 'true' } })).toBe(gpu);
    expect(poolVersion({ ...target, nodeLabels: { gpu: 'true', zone: 'b' } })).not.toBe(gpu);
  });

  it('changes with the runtime class: a sandboxed create never claims a standard environment, nor the reverse', () => {
    expect(poolVersion({ ...target, runtimeClass: 'sandboxed' })).not.toBe(poolVersion(target));
  });

  it('is, without labels and sandboxing, the version pools had before either existed: their environments are not rebuilt', () => {
    const before = createHash('sha256').update(JSON.stringify(['small', 'img:1', 1, 1024, 5, null])).digest('hex').slice(0, 16);
    expect(poolVersion(target)).toBe(before);
  });
});

describe('planPool', () => {
  it('makes what is missing', () => {
    expect(planPool([member('a', 'running', 'v')], 'v', 3)).toEqual({ drain: [], make: 2 });
  });

  it('drains another version and replaces it', () => {
    expect(planPool([member('a', 'running', 'old'), member('b', 'running', 'v')], 'v', 2)).toEqual({ drain: ['a'], make: 1 });
  });

  it('drains beyond the size, keeping the ready and the oldest', () => {
    const members = [member('new-ready', 'running', 'v', 3), member('building', 'starting', 'v', 1), member('old-ready', 'running', 'v', 0), member('failed', 'error', 'v', 0)];
    expect(planPool(members, 'v', 2)).toEqual({ drain: ['building', 'failed'], make: 0 });
    expect(planPool(members, 'v', 0).drain.sort()).toEqual(['building', 'failed', 'new-ready', 'old-ready']);
  });

  it('keeps failed members in their place', () => {
    expect(planPool([member('f', 'error', 'v')], 'v', 1)).toEqual({ drain: [], make: 0 });
  });

  it('drains everything and makes nothing when the target is gone', () => {
    expect(planPool([member('a', 'running', 'v')], null, 3)).toEqual({ drain: ['a'], make: 0 });
  });
});
