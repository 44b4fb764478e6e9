import Docker from 'dockerode';
import { loadConfig } from './config.js';
import { ensureImage } from './runtime/docker/images.js';

/** `berth build-image`: makes the configured default image available now rather than at the first environment. */
export async function buildDefaultImage(env: NodeJS.ProcessEnv, onProgress: (line: string) => void): Promise<void> {
  const config = loadConfig(env);
  const docker = new Docker(config.docker);
  await ensureImage(docker, config.defaultImage, onProgress);
  onProgress(`${config.defaultImage} is ready`);
}
