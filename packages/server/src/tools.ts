import Docker from 'dockerode';
import { loadConfig } from './config.js';
import { ensureImage } from './runtime/docker/images.js';

/**
 * `berth build-image [image]`: makes an image (by default the configured default one) available now
 * rather than at the first environment that needs it: Berth's own images are built, others pulled.
 */
export async function buildImage(env: NodeJS.ProcessEnv, image: string | undefined, onProgress: (line: string) => void): Promise<void> {
  const config = loadConfig(env);
  const docker = new Docker(config.docker);
  const wanted = image ?? config.defaultImage;
  await ensureImage(docker, wanted, onProgress, { devBaseImage: config.devBaseImage });
  onProgress(`${wanted} is ready`);
}
