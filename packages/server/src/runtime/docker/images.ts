import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import tarStream from 'tar-stream';
import type { ProgressFn } from '../driver.js';

/**
 * Berth's default development image, built on this machine when missing (any `berth/dev:` tag is).
 * The number goes up when the packages or DEV_SETUP change, so machines with the older image build the new one.
 */
export const DEV_IMAGE = 'berth/dev:bookworm-2';
const isDevImage = (image: string) => image.startsWith('berth/dev:');
/**
 * The E2B code interpreter's image (E2B's `code-interpreter-v1` template): the dev image with Jupyter's
 * Python kernel, matplotlib and numpy from Debian, and the interpreter's server (images/code-interpreter)
 * started beside whatever the container runs. Built on this machine when missing, like the dev image.
 */
export const CODE_INTERPRETER_IMAGE = 'berth/code-interpreter:1';
const isCodeInterpreterImage = (image: string) => image.startsWith('berth/code-interpreter:');
/**
 * Apps' managed PostgreSQL: Debian's PostgreSQL on the dev image, run as the `postgres` user, its
 * cluster made at first start in a volume (images/postgres/entrypoint.sh). Built on this machine
 * when missing, like the dev image: no registry needed.
 */
export const POSTGRES_IMAGE = 'berth/postgres:15-1';
const isPostgresImage = (image: string) => image.startsWith('berth/postgres:');
const POSTGRES_FILES = fileURLToPath(new URL('../../../images/postgres/', import.meta.url));
/** Where the cluster lives in the container (its volume is mounted here). */
export const POSTGRES_DATA_DIR = '/var/lib/berth-postgres';
const CODE_INTERPRETER_FILES = fileURLToPath(new URL('../../../images/code-interpreter/', import.meta.url));
const CODE_INTERPRETER_PACKAGES = ['python3-ipykernel', 'python3-jupyter-client', 'python3-matplotlib', 'python3-numpy'];
/**
 * A usable dev box: git and curl, compilers, Python 3 with pip and venv, Node.js with npm.
 * debootstrap installs the base; apt the rest (debootstrap's own dependency resolution gives up on npm's).
 * No sudo: containers run with no-new-privileges, so setuid programs cannot raise anyone's rights.
 */
const BASE_PACKAGES = ['bash', 'git', 'curl', 'ca-certificates', 'procps', 'less', 'nano', 'openssh-client', 'xz-utils', 'python3'];
const APT_PACKAGES = ['build-essential', 'python3-pip', 'python3-venv', 'nodejs', 'npm'];
const aptInstall = (packages: readonly string[]) => `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${packages.join(' ')}`;
/** The account E2B's `user` names, and the one to run as without root's rights; it owns /workspace. */
const DEV_USER = { name: 'user', uid: 1000 };
/** Run in the new image's root filesystem once its packages are in: the non-root user, and /workspace for it. */
const DEV_SETUP = [
  `useradd --create-home --uid ${DEV_USER.uid} --shell /bin/bash ${DEV_USER.name}`,
  `mkdir -p /workspace && chown ${DEV_USER.uid}:${DEV_USER.uid} /workspace`,
  'rm -rf /var/cache/apt/archives/*.deb /var/lib/apt/lists/*',
].join(' && ');

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

export interface ImageOptions {
  /** The image a dev image is built on where debootstrap is missing (BERTH_DEV_BASE_IMAGE); by default Debian's slim one of the host's release. */
  devBaseImage?: string;
  /** Build the image from this Dockerfile (a template's) when the engine lacks it. */
  dockerfile?: string;
  /** Labels for an image built from `dockerfile` (its install's, so it can be told apart and cleared with it). */
  labels?: Record<string, string>;
}

export async function ensureImage(docker: Docker, image: string, onProgress: ProgressFn, options: ImageOptions = {}): Promise<void> {
  if (await imageExists(docker, image)) return;
  let pending = building.get(image);
  if (!pending) {
    const make = options.dockerfile
      ? buildFromDockerfile(docker, image, options.dockerfile, onProgress, {}, options.labels)
      : isDevImage(image)
      ? buildDevImage(docker, image, onProgress, options)
      : isCodeInterpreterImage(image)
        ? buildCodeInterpreterImage(docker, image, onProgress, options)
        : isPostgresImage(image)
          ? buildPostgresImage(docker, image, onProgress, options)
          : pullImage(docker, image, onProgress);
    pending = make.finally(() =>
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
async function debianSource(): Promise<{ mirror: string | undefined; suite: string }> {
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
  return { mirror: undefined, suite };
}

/** Whether `command` is an executable on PATH (where spawn will look for it). */
async function onPath(command: string): Promise<boolean> {
  // eslint-disable-next-line no-restricted-properties -- the search path spawn uses, not configuration
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    if (await fs.access(path.join(dir, command), fs.constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}

function run(command: string, args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    // Not the spawn error itself: its ENOENT would read as "the engine's socket is missing".
    child.once('error', (err) => reject(new Error(`cannot run ${command}: ${err.message}`)));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))));
  });
}

/** Why the dev image could not be made, in words for whoever runs Berth; the engine's own are the `cause`. */
export class DevImageError extends Error {}

/**
 * Makes the dev image on this machine, whichever way it can, once: with
 * debootstrap from the machine's own Debian mirror (no registry needed), or
 * else on Debian's image pulled from the engine's registry, with apt inside
 * a build. Neither possible: a DevImageError within seconds saying what to install.
 */
export async function buildDevImage(docker: Docker, image: string, onProgress: ProgressFn, options: ImageOptions = {}): Promise<void> {
  const { mirror, suite } = await debianSource();
  if (mirror && (await onPath('debootstrap'))) return debootstrapDevImage(docker, image, { mirror, suite }, onProgress);
  const base = options.devBaseImage ?? `debian:${suite}-slim`;
  onProgress(`building ${image}: debootstrap is not installed here; pulling ${base} instead`);
  try {
    await pullImage(docker, base, onProgress);
  } catch (err) {
    throw new DevImageError(
      `cannot build ${image}: debootstrap is not installed on this machine (apt-get install debootstrap), and the engine could not pull ${base}`,
      { cause: err },
    );
  }
  await buildFromDockerfile(docker, image, `FROM ${base}\nRUN ${aptInstall([...BASE_PACKAGES, ...APT_PACKAGES])} && ${DEV_SETUP}\nWORKDIR /workspace\n`, onProgress);
}

/** debootstrap a minimal Debian with the dev packages, set it up, then import it. Needs root; a minute or two, once. */
async function debootstrapDevImage(docker: Docker, image: string, source: { mirror: string; suite: string }, onProgress: ProgressFn): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-rootfs-'));
  try {
    onProgress(`building ${image}: debootstrap ${source.suite} (this happens once)`);
    let last = 0;
    const chatty = (line: string) => {
      // debootstrap and apt are chatty: pass on a line a second at most.
      if (Date.now() - last > 1000 || /^E:|^W:/.test(line)) {
        last = Date.now();
        onProgress(line.slice(0, 200));
      }
    };
    await run('debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, source.suite, root, source.mirror], chatty);
    await run('chroot', [root, 'sh', '-c', `${aptInstall(APT_PACKAGES)} && ${DEV_SETUP}`], chatty);
    await fs.mkdir(path.join(root, 'var/cache/apt/archives/partial'), { recursive: true });
    onProgress(`importing ${image}`);
    const tar = spawn('tar', ['-C', root, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await importRootfs(docker, tar.stdout, image);
    onProgress(`built ${image}`);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

/** The code interpreter's image, on the dev image (made first if missing). */
async function buildCodeInterpreterImage(docker: Docker, image: string, onProgress: ProgressFn, options: ImageOptions): Promise<void> {
  await ensureImage(docker, DEV_IMAGE, onProgress, options);
  onProgress(`building ${image} on ${DEV_IMAGE}`);
  const files = Object.fromEntries(
    await Promise.all(['server.py', 'js-kernel.mjs', 'entrypoint.sh'].map(async (name) => [name, await fs.readFile(path.join(CODE_INTERPRETER_FILES, name))] as const)),
  );
  const dockerfile = [
    `FROM ${DEV_IMAGE}`,
    `RUN ${aptInstall(CODE_INTERPRETER_PACKAGES)} && rm -rf /var/lib/apt/lists/*`,
    'COPY server.py js-kernel.mjs entrypoint.sh /opt/berth/code-interpreter/',
    'ENTRYPOINT ["/opt/berth/code-interpreter/entrypoint.sh"]',
  ].join('\n');
  await buildFromDockerfile(docker, image, dockerfile, onProgress, files);
}

/** The managed PostgreSQL image, on the dev image (made first if missing). */
async function buildPostgresImage(docker: Docker, image: string, onProgress: ProgressFn, options: ImageOptions): Promise<void> {
  await ensureImage(docker, DEV_IMAGE, onProgress, options);
  onProgress(`building ${image} on ${DEV_IMAGE}`);
  const files = { 'entrypoint.sh': await fs.readFile(path.join(POSTGRES_FILES, 'entrypoint.sh')) };
  const dockerfile = [
    `FROM ${DEV_IMAGE}`,
    `RUN ${aptInstall(['postgresql-15', 'postgresql-client-15'])} && rm -rf /var/lib/apt/lists/*`,
    // A fresh named volume takes the owner of the folder it is mounted on: postgres, 0700.
    `RUN install -d -o postgres -g postgres -m 0700 ${POSTGRES_DATA_DIR}`,
    'COPY entrypoint.sh /usr/local/bin/berth-postgres',
    'USER postgres',
    'ENTRYPOINT ["/usr/local/bin/berth-postgres"]',
  ].join('\n');
  await buildFromDockerfile(docker, image, dockerfile, onProgress, files);
}

/** Builds `image` from a Dockerfile (and the files it copies) through the Engine API, passing on its output. */
export async function buildFromDockerfile(docker: Docker, image: string, dockerfile: string, onProgress: ProgressFn, files: Record<string, Buffer> = {}, labels: Record<string, string> = {}): Promise<void> {
  const pack = tarStream.pack();
  pack.entry({ name: 'Dockerfile' }, dockerfile);
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: name.endsWith('.sh') ? 0o755 : 0o644 }, content);
  pack.finalize();
  // tar-stream's Pack is a streamx Readable: a Node stream to the engine's client, not to its types.
  const stream = await docker.buildImage(pack as unknown as NodeJS.ReadableStream, { t: image, rm: true, forcerm: true, labels });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: { error?: string }[] = []) => {
        const failed = err ?? output.find((o) => o.error);
        return failed ? reject(new Error(`building ${image} failed: ${failed instanceof Error ? failed.message : failed.error}`)) : resolve();
      },
      (e: { stream?: string }) => e.stream?.trim() && onProgress(e.stream.trim().slice(0, 200)),
    ),
  );
  if (!(await imageExists(docker, image))) throw new Error(`building ${image} produced no image`);
}
