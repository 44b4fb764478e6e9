import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ProgressFn } from '../driver.js';

/** Berth's default development image, built from Debian packages when missing. */
export const DEV_IMAGE = 'berth/dev:bookworm';
const DEV_PACKAGES = ['bash', 'git', 'curl', 'python3', 'ca-certificates', 'procps', 'less', 'nano', 'openssh-client', 'xz-utils'];

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

export async function imageExists(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw err;
  }
}

/** Imports a root filesystem tarball as an image through the Engine API. */
export async function importRootfs(docker: Docker, tar: Readable, image: string): Promise<void> {
  const [repo, tag = 'latest'] = splitRef(image);
  const stream = await docker.importImage(tar, { repo, tag });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
  );
  if (!(await imageExists(docker, image))) throw new Error(`importing ${image} produced no image`);
}

function splitRef(image: string): [string, string | undefined] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, undefined];
}

/** Only one build of an image at a time in this process, however many environments wait for it. */
const building = new Map<string, Promise<void>>();

export async function ensureImage(docker: Docker, image: string, onProgress: ProgressFn): Promise<void> {
  if (await imageExists(docker, image)) return;
  let pending = building.get(image);
  if (!pending) {
    pending = (image === DEV_IMAGE ? buildDevImage(docker, image, onProgress) : pullImage(docker, image, onProgress)).finally(() =>
      building.delete(image),
    );
    building.set(image, pending);
  } else {
    onProgress(`waiting for the build of ${image} already under way`);
  }
  await pending;
}

async function pullImage(docker: Docker, image: string, onProgress: ProgressFn): Promise<void> {
  onProgress(`pulling ${image}`);
  // The engine's own error passes on as it is: the driver tells an outage from an image that is not
  // there, and keeps its words (registry hosts, ports) out of what users see.
  const stream = await docker.pull(image);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (e: { status?: string; id?: string }) => e.status && !e.id && onProgress(e.status),
    ),
  );
}

/** The machine's own Debian mirror and release, so the image matches the host's apt setup. */
async function debianSource(): Promise<{ mirror: string; suite: string }> {
  const osRelease = await fs.readFile('/etc/os-release', 'utf8').catch(() => '');
  const suite = /^VERSION_CODENAME=(\S+)/m.exec(osRelease)?.[1] ?? 'bookworm';
  const candidates = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const file of candidates) {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    const deb822 = /^URIs:\s*(\S+)/m.exec(text)?.[1];
    const legacy = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+\s+main/m.exec(text)?.[1];
    const mirror = deb822 ?? legacy;
    if (mirror && !mirror.includes('security')) return { mirror, suite };
  }
  throw new Error('no Debian mirror found in /etc/apt: cannot build the default image');
}

function run(command: string, args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))));
  });
}

/**
 * debootstrap a minimal Debian with the dev tools, then import it. Needs root
 * and debootstrap on the engine's machine; takes a minute or two, once.
 */
export async function buildDevImage(docker: Docker, image: string, onProgress: ProgressFn): Promise<void> {
  const { mirror, suite } = await debianSource();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-rootfs-'));
  try {
    onProgress(`building ${image}: debootstrap ${suite} (this happens once)`);
    let last = 0;
    await run('debootstrap', ['--variant=minbase', `--include=${DEV_PACKAGES.join(',')}`, suite, root, mirror], (line) => {
      // debootstrap is chatty: pass on a line a second at most.
      if (Date.now() - last > 1000 || /^E:|^W:/.test(line)) {
        last = Date.now();
        onProgress(line.slice(0, 200));
      }
    });
    await fs.rm(path.join(root, 'var/cache/apt/archives'), { recursive: true, force: true });
    await fs.mkdir(path.join(root, 'var/cache/apt/archives/partial'), { recursive: true });
    await fs.mkdir(path.join(root, 'workspace'), { recursive: true });
    onProgress(`importing ${image}`);
    const tar = spawn('tar', ['-C', root, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await importRootfs(docker, tar.stdout, image);
    onProgress(`built ${image}`);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}
