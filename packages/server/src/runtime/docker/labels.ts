/** Labels every Docker object Berth creates carries, so resync can adopt or remove it. */
export const LABEL_ENV = 'berth.env';
export const LABEL_INSTALL = 'berth.install';
export const LABEL_OWNER = 'berth.owner';
/** The owner label, when there is an owner (a warm pool's environment has none until claimed; labels never change). */
export const ownerLabel = (ownerId: string | null): Record<string, string> => (ownerId ? { [LABEL_OWNER]: ownerId } : {});
/** On networks: the egress policy its rules enforce, and an allowlist's CIDRs (comma-separated). */
export const LABEL_EGRESS = 'berth.egress';
export const LABEL_EGRESS_ALLOW = 'berth.egress-allow';

export const containerName = (environmentId: string) => `berth-${environmentId}`;
export const volumeName = (environmentId: string) => `berth-ws-${environmentId}`;
const networkPrefix = (installId: string) => `berth-${installId.slice(0, 8)}-`;
/** A network's name says whose it is and under which policy (NetworkSpec.key). */
export const networkName = (installId: string, key: string) => `${networkPrefix(installId)}${key}`;
/**
 * An owner's overlay across a swarm's nodes (internal: it carries only traffic between the owner's
 * environments, never egress), beside each node's own network; the cluster driver manages it, and
 * the node drivers leave it be.
 */
export const meshNetworkName = (installId: string, ownerId: string) => `${networkPrefix(installId)}mesh-${ownerId}`;
export const isMeshNetwork = (installId: string, name: string) => name.startsWith(`${networkPrefix(installId)}mesh-`);
/** The key back from a network's name; names that are not this install's come back as they are. */
export const networkKeyOf = (installId: string, name: string) => (name.startsWith(networkPrefix(installId)) ? name.slice(networkPrefix(installId).length) : name);
/** On an app's replicas, images and release-phase containers: which app and release they are. */
export const LABEL_APP = 'berth.app';
export const LABEL_RELEASE = 'berth.release';
