import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { EgressPolicy, NetworkSpec } from '../driver.js';
import { BRIDGE_OPTION, BRIDGE_PREFIX, isBerthBridge } from './egress-rules.js';
import type { Firewall } from './firewall.js';
import { LABEL_EGRESS, LABEL_EGRESS_ALLOW, LABEL_ENV, LABEL_INSTALL, isMeshNetwork, ownerLabel, networkKeyOf, networkName } from './labels.js';

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

interface NetworkRef {
  id: string;
  name: string;
}

type NetworkInfo = Awaited<ReturnType<Docker['listNetworks']>>[number];

const bridgeOf = (n: NetworkInfo): string | undefined => n.Options?.[BRIDGE_OPTION];

/** A network's policy, from its labels (set once, at creation): anything unreadable reaches nothing. */
function policyOf(labels: Record<string, string> | undefined): EgressPolicy {
  const mode = labels?.[LABEL_EGRESS];
  if (mode === 'internet') return { mode };
  if (mode === 'allowlist') return { mode, allow: (labels?.[LABEL_EGRESS_ALLOW] ?? '').split(',').filter(Boolean) };
  return { mode: 'none' };
}

function labelsFor(installId: string, spec: NetworkSpec): Record<string, string> {
  return {
    [LABEL_INSTALL]: installId,
    ...ownerLabel(spec.ownerId),
    [LABEL_EGRESS]: spec.egress.mode,
    ...(spec.egress.mode === 'allowlist' ? { [LABEL_EGRESS_ALLOW]: spec.egress.allow.join(',') } : {}),
    ...(spec.environmentId ? { [LABEL_ENV]: spec.environmentId } : {}),
  };
}

/**
 * Berth's networks on one engine, each with its egress rules. A network never changes policy: its
 * labels say which it enforces and its name carries the policy's key, so an environment changes
 * policy by moving to another network. Its bridge is named `bth…` so the host's rules can match it.
 */
export function createNetworks({ docker, installId, firewall }: { docker: Docker; installId: string; firewall: Firewall }) {
  const installFilter = `${LABEL_INSTALL}=${installId}`;

  /** Every network on the engine: a bridge of another install still exists, and its rules stay. */
  async function existingBridges(): Promise<Set<string>> {
    return new Set((await docker.listNetworks()).map(bridgeOf).filter(isBerthBridge));
  }

  async function forget(bridges: readonly string[]): Promise<void> {
    if (bridges.length === 0) return;
    await firewall.apply(async () => {
      const existing = await existingBridges();
      return { networks: [], gone: (b) => bridges.includes(b) && !existing.has(b) };
    });
  }

  /**
   * The engine accepts several networks with one name and then refuses an ambiguous name, so:
   * reconciles in this process share one pending creation, every process picks the oldest network
   * of that name (and removes any later duplicate another process made), and containers attach by id.
   */
  const creating = new Map<string, Promise<NetworkRef>>();
  /**
   * Networks whose rules this process put in place or found there (a network's policy never
   * changes). A create on such a network does not read the host's rules again (on a node behind
   * its agent, three round trips): the rules its neighbours rely on are its own too, and every
   * resync pass (sync) checks them all.
   */
  const ruled = new Set<string>();
  function ensure(spec: NetworkSpec): Promise<NetworkRef> {
    const name = networkName(installId, spec.key);
    let pending = creating.get(name);
    if (!pending) {
      pending = findOrCreate(name, spec).finally(() => creating.delete(name));
      creating.set(name, pending);
    }
    return pending;
  }

  async function findOrCreate(name: string, spec: NetworkSpec): Promise<NetworkRef> {
    const named = async () => (await docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);
    let found = await named();
    if (found.length === 0) {
      try {
        await docker.createNetwork({
          Name: name,
          CheckDuplicate: true,
          Driver: 'bridge',
          // `none`: Docker itself drops whatever leaves the bridge, under Berth's rules as well.
          Internal: spec.egress.mode === 'none',
          Options: { [BRIDGE_OPTION]: `${BRIDGE_PREFIX}${randomBytes(6).toString('hex')}` },
          Labels: labelsFor(installId, spec),
        });
      } catch (err) {
        if (statusOf(err) !== 409) throw err; // created meanwhile by another process
      }
      found = await named();
    }
    const [oldest, ...duplicates] = found.sort((a, b) => String(a.Created).localeCompare(String(b.Created)) || a.Id.localeCompare(b.Id));
    const removed: string[] = [];
    for (const dup of duplicates) {
      // In use: the next prune removes it.
      if (await docker.getNetwork(dup.Id).remove().then(() => true, () => false)) removed.push(bridgeOf(dup) ?? '');
    }
    await forget(removed.filter(isBerthBridge));
    if (!oldest) throw new Error(`network ${name} vanished while being created`);
    const bridge = bridgeOf(oldest);
    if (!isBerthBridge(bridge)) throw new Error(`network ${name} has no bridge named ${BRIDGE_PREFIX}…: remove it so Berth can create it with its rules`);
    // Before any container joins: the network's rules are in place by the time anything can send.
    if (!ruled.has(oldest.Id)) {
      await firewall.apply(async () => ({ networks: [{ bridge, policy: policyOf(oldest.Labels) }], gone: () => false }));
      ruled.add(oldest.Id);
    }
    return { id: oldest.Id, name };
  }

  /** Puts the container on the spec's network and takes it off any other; true when something changed. */
  async function attach(container: Docker.Container, spec: NetworkSpec): Promise<boolean> {
    const target = await ensure(spec);
    const info = await container.inspect();
    const attached = Object.entries(info.NetworkSettings.Networks ?? {});
    let moved = false;
    for (const [name, endpoint] of attached) {
      if (name === target.name || isMeshNetwork(installId, name)) continue;
      // Off the old network first, so the container is never under two policies at once.
      await docker
        .getNetwork(endpoint.NetworkID || name)
        .disconnect({ Container: info.Id, Force: true })
        .catch((err: unknown) => {
          if (statusOf(err) !== 404) throw err;
        });
      moved = true;
    }
    if (!attached.some(([name]) => name === target.name)) {
      await docker.getNetwork(target.id).connect({ Container: info.Id });
      moved = true;
    }
    return moved;
  }

  /** The networks that belong to this environment alone, with their rules. */
  async function removeFor(environmentId: string): Promise<void> {
    const networks = await docker.listNetworks({ filters: { label: [installFilter, `${LABEL_ENV}=${environmentId}`] } });
    await removeAll(networks);
  }

  async function removeAll(networks: NetworkInfo[]): Promise<void> {
    const removed: string[] = [];
    for (const n of networks) {
      const gone = await docker
        .getNetwork(n.Id)
        .remove()
        .then(
          () => true,
          (err: unknown) => {
            if (statusOf(err) === 404) return true;
            if (statusOf(err) === 403 || statusOf(err) === 409) return false; // in use again: kept, with its rules
            throw err;
          },
        );
      if (gone) removed.push(bridgeOf(n) ?? '');
      if (gone) ruled.delete(n.Id);
    }
    await forget(removed.filter(isBerthBridge));
  }

  /** Removes networks no live environment wants and no container of this install names. */
  async function prune(keep: ReadonlySet<string>, referenced: ReadonlySet<string>): Promise<void> {
    const networks = await docker.listNetworks({ filters: { label: [installFilter] } });
    const unwanted: NetworkInfo[] = [];
    for (const n of networks) {
      if (keep.has(networkKeyOf(installId, n.Name)) || referenced.has(n.Name) || isMeshNetwork(installId, n.Name)) continue;
      const detail = await docker.getNetwork(n.Id).inspect();
      if (Object.keys(detail.Containers ?? {}).length === 0) unwanted.push(n);
    }
    await removeAll(unwanted);
  }

  /** Re-installs the rules of every network of this install; removes those of networks gone from the engine. */
  async function sync(): Promise<void> {
    await firewall.apply(async () => {
      const all = await docker.listNetworks();
      const existing = new Set(all.map(bridgeOf).filter(isBerthBridge));
      const own = all.filter((n) => n.Labels?.[LABEL_INSTALL] === installId && isBerthBridge(bridgeOf(n)));
      return { networks: own.map((n) => ({ bridge: bridgeOf(n)!, policy: policyOf(n.Labels) })), gone: (b) => !existing.has(b) };
    });
  }

  return { ensure, attach, removeFor, prune, sync };
}
