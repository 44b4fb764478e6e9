import { describe, expect, it } from 'vitest';
import type { RuntimeNode } from '../../runtime/driver.js';
import { tcpEngine } from '../../runtime/docker/nodes.js';
import { choose, ineligible, NoNodeError, score } from './placement.js';

const node = (id: string, over: Partial<RuntimeNode> = {}): RuntimeNode => ({
  id,
  name: `host-${id}`,
  role: 'worker',
  state: 'ready',
  availability: 'active',
  address: null,
  labels: {},
  resources: { vcpus: 4, memoryMb: 8192 },
  engineVersion: null,
  engine: 'tcp://10.0.0.1:2376',
  runtimeClasses: ['standard'],
  ...over,
});
const small = { vcpus: 1, memoryMb: 1024, labels: {}, runtimeClass: 'standard' as const };

describe('placement', () => {
  it('prefers the node with the most left free once the environment is on it', () => {
    const usage = new Map([
      ['a', { environments: 2, vcpus: 2, memoryMb: 4096 }],
      ['b', { environments: 1, vcpus: 1, memoryMb: 1024 }],
    ]);
    expect(choose([node('a'), node('b')], usage, small)).toBe('b');
    // A node with twice the memory and processors is emptier for the same use.
    expect(choose([node('a', { resources: { vcpus: 16, memoryMb: 65536 } }), node('b')], usage, small)).toBe('a');
  });

  it('spreads idle environments: fewer environments wins among nodes alike in reservations, and ties go to the lower id', () => {
    const usage = new Map([['a', { environments: 3, vcpus: 0, memoryMb: 0 }]]);
    expect(choose([node('a'), node('b')], usage, { ...small, vcpus: 0, memoryMb: 0 })).toBe('b');
    expect(choose([node('b'), node('a')], new Map(), small)).toBe('a');
    expect(score(node('a'), { environments: 0, vcpus: 0, memoryMb: 0 }, small)).toBeCloseTo((3 / 4 + 7 / 8) / 2);
  });

  it('takes an overcommitted node last, never refuses it', () => {
    const full = new Map([['a', { environments: 9, vcpus: 8, memoryMb: 16384 }]]);
    expect(score(node('a'), full.get('a')!, small)).toBeLessThan(0);
    expect(choose([node('a')], full, small)).toBe('a');
  });

  it('places only on ready, active nodes with an engine and every label asked for', () => {
    expect(ineligible(node('a', { state: 'down' }), small)).toBe('down');
    expect(ineligible(node('a', { availability: 'drain' }), small)).toBe('drained');
    expect(ineligible(node('a', { availability: 'pause' }), small)).toBe('paused');
    expect(ineligible(node('a', { engine: null }), small)).toBe('no engine Berth can reach');
    expect(ineligible(node('a', { labels: { gpu: 'false' } }), { ...small, labels: { gpu: 'true', kvm: 'true' } })).toBe('lacks gpu=true, kvm=true');
    expect(ineligible(node('a', { labels: { gpu: 'true', zone: 'b' } }), { ...small, labels: { gpu: 'true' } })).toBeNull();
    const labelled = choose([node('a'), node('b', { labels: { gpu: 'true' } })], new Map(), { ...small, labels: { gpu: 'true' } });
    expect(labelled).toBe('b');
  });

  it('places a sandboxed environment only on a node whose engine offers gVisor', () => {
    const sandboxed = { ...small, runtimeClass: 'sandboxed' as const };
    expect(ineligible(node('a'), sandboxed)).toBe('does not offer the sandboxed runtime class');
    // A node whose engine has not been heard from yet takes standard environments (every engine runs those), not sandboxed ones.
    expect(ineligible(node('a', { runtimeClasses: [] }), small)).toBeNull();
    expect(ineligible(node('a', { runtimeClasses: [] }), sandboxed)).toBe('does not offer the sandboxed runtime class');
    expect(ineligible(node('a', { runtimeClasses: ['standard', 'sandboxed'] }), sandboxed)).toBeNull();
    const usage = new Map([['b', { environments: 5, vcpus: 3, memoryMb: 6000 }]]);
    // The fuller node, because it is the only one that can.
    expect(choose([node('a'), node('b', { runtimeClasses: ['standard', 'sandboxed'] })], usage, sandboxed)).toBe('b');
    expect(choose([node('a'), node('b', { runtimeClasses: ['standard', 'sandboxed'] })], usage, small)).toBe('a');
  });

  it('says why no node can take it, as an outage to wait out', () => {
    const attempt = () => choose([node('a', { state: 'down' }), node('b', { availability: 'drain' })], new Map(), small);
    expect(attempt).toThrow(NoNodeError);
    expect(attempt).toThrow(/No node can take this environment now \(host-a: down; host-b: drained\)/);
    expect(() => choose([], new Map(), small)).toThrow(/no nodes/);
  });
});

describe("a node's engine label", () => {
  it('is a tcp:// address with a port, or nothing', () => {
    expect(tcpEngine('tcp://10.0.0.5:2376')).toBe('tcp://10.0.0.5:2376');
    expect(tcpEngine('tcp://node-2.lan:2376')).toBe('tcp://node-2.lan:2376');
    for (const bad of [undefined, '', 'tcp://10.0.0.5', 'http://10.0.0.5:2376', 'unix:///var/run/docker.sock', 'tcp://10.0.0.5:2376/path', 'not a url']) expect(tcpEngine(bad)).toBeNull();
  });
});
