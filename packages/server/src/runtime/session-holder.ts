import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
import tar from 'tar-stream';

const run = promisify(execFile);
const SOURCE = fileURLToPath(new URL('../../native/berth-hold.c', import.meta.url));

/** Where the holder keeps each terminal's socket. */
export const holderDir = (sessionId: string) => `/tmp/.berth/terminals/${sessionId}`;
/** Where it keeps the processes E2B's process service starts, one folder (named by pid) each. */
export const PROCESS_ROOT = '/tmp/.berth/processes';

/**
 * berth-hold, and where it is put in an environment: a path of its version's own, so an
 * environment that has an older one (from before an upgrade) gets this one beside it, not confused with it.
 */
export interface SessionHolder {
  binary: Buffer;
  path: string;
}

/**
 * berth-hold (native/berth-hold.c), built once per source version into the data directory with the
 * machine's C compiler, statically, so it runs in any Linux image of this machine's architecture.
 * Null, with a warning, where there is no compiler: terminals then live in the Berth process that
 * opened them, as before (they do not outlive it).
 */
export async function buildSessionHolder(dataDir: string, log: Pick<FastifyBaseLogger, 'warn'>): Promise<SessionHolder | null> {
  const source = await fs.readFile(SOURCE);
  const version = createHash('sha256').update(source).update(process.arch).digest('hex').slice(0, 12);
  const binary = path.join(dataDir, 'bin', `berth-hold-${version}`);
  const inEnvironment = `/tmp/.berth/hold-${version}`;
  const built = await fs.readFile(binary).catch(() => null);
  if (built) return { binary: built, path: inEnvironment };
  await fs.mkdir(path.dirname(binary), { recursive: true });
  // Built beside, then renamed: processes starting at once never read half a binary.
  const partial = `${binary}.${randomBytes(4).toString('hex')}.partial`;
  try {
    await run('cc', ['-O2', '-static', '-s', '-o', partial, SOURCE], { timeout: 120_000 });
    await fs.rename(partial, binary);
    return { binary: await fs.readFile(binary), path: inEnvironment };
  } catch (err) {
    await fs.rm(partial, { force: true });
    log.warn({ err: (err as Error).message }, 'could not build berth-hold (install a C compiler: apt-get install gcc): terminals and sandbox processes end with the Berth process that opened them');
    return null;
  }
}

/**
 * A tar stream that, unpacked at `/`, makes Berth's folder in an environment (/tmp/.berth) and,
 * given the holder, puts it at its path. Without it: the folder alone, which a sandboxed container
 * gets before its first start (gVisor lays a tmpfs of its own over an empty /tmp, out of the archive
 * calls' reach; a folder in it keeps /tmp the container's own, as under runc).
 */
export function holderArchive(holder?: SessionHolder): NodeJS.ReadableStream {
  const pack = tar.pack();
  pack.entry({ name: 'tmp/.berth', type: 'directory', mode: 0o755 });
  if (holder) {
    pack.entry({ name: 'tmp/.berth/terminals', type: 'directory', mode: 0o700 });
    pack.entry({ name: PROCESS_ROOT.slice(1), type: 'directory', mode: 0o700 });
    pack.entry({ name: holder.path.slice(1), mode: 0o755 }, holder.binary);
  }
  pack.finalize();
  return pack as unknown as NodeJS.ReadableStream;
}
