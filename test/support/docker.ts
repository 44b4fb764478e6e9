import type Docker from 'dockerode';
import { LABEL_INSTALL } from '../../packages/server/src/runtime/docker/labels.js';

const label = (installId: string) => ({ label: [`${LABEL_INSTALL}=${installId}`] });

/** Containers, volumes and networks one test server's install left on the engine. */
export async function installObjects(docker: Docker, installId: string) {
  const [containers, volumes, networks] = await Promise.all([
    docker.listContainers({ all: true, filters: label(installId) }),
    docker.listVolumes({ filters: label(installId) }),
    docker.listNetworks({ filters: label(installId) }),
  ]);
  return { containers, volumes: volumes.Volumes ?? [], networks };
}

/** Removes everything an install created, so test files leave the engine as they found it. */
export async function removeInstall(docker: Docker, installId: string): Promise<void> {
  const { containers, volumes, networks } = await installObjects(docker, installId).catch(() => ({ containers: [], volumes: [], networks: [] }));
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  await Promise.all(volumes.map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  // Apps' release images and templates' (their layers under them stay cached for the next build).
  const images = await docker.listImages({ filters: label(installId) }).catch(() => []);
  for (const image of images) for (const tag of image.RepoTags ?? []) await docker.getImage(tag).remove().catch(() => undefined);
}
