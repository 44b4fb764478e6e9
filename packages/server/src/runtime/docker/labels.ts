/** Labels every Docker object Berth creates carries, so resync can adopt or remove it. */
export const LABEL_ENV = 'berth.env';
export const LABEL_INSTALL = 'berth.install';
export const LABEL_OWNER = 'berth.owner';

export const containerName = (environmentId: string) => `berth-${environmentId}`;
export const volumeName = (environmentId: string) => `berth-ws-${environmentId}`;
export const networkName = (installId: string, ownerId: string) => `berth-${installId.slice(0, 8)}-${ownerId}`;
