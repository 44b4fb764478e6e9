import type { ExecOutcome, RuntimeDriver } from '../../runtime/driver.js';

/** How long a files script may take unless it says otherwise. */
export const SCRIPT_TIMEOUT_MS = 30_000;
/** The output a files script may print unless it says otherwise (a listing of one folder, a hash). */
export const SCRIPT_OUTPUT_MAX_BYTES = 4 * 1024 * 1024;

export interface RunOptions {
  timeoutMs?: number;
  maxOutputBytes?: number;
}

/** Runs `work` holding a lock on `key` that every Berth process on the database respects. */
export type LockAcross = <T>(key: string, work: () => Promise<T>) => Promise<T>;

/**
 * The one way the file layer works inside an environment: a script from
 * files.shell.ts with its user input as positional arguments, and one write
 * lock per environment and file, shared by every API that writes files
 * (Berth's files API and the E2B adapter alike) and, through `across`, by
 * every Berth process: writers queue in their process, then take the lock of
 * the database, so a process holds at most one connection per file for it.
 */
export function createFilesRunner(runtime: Pick<RuntimeDriver, 'exec'>, across: LockAcross = (_key, work) => work()) {
  function run(id: string, script: string, args: string[], { timeoutMs = SCRIPT_TIMEOUT_MS, maxOutputBytes = SCRIPT_OUTPUT_MAX_BYTES }: RunOptions = {}): Promise<ExecOutcome> {
    return runtime.exec(id, { argv: ['/bin/sh', '-c', script, 'sh', ...args], timeoutMs, maxOutputBytes });
  }

  /** Per environment and file (its real path): a write's revision check and the write itself happen as one. */
  const writing = new Map<string, Promise<unknown>>();
  async function exclusive<T>(id: string, realPath: string, work: () => Promise<T>): Promise<T> {
    const key = `${id}:${realPath}`;
    const before = writing.get(key) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(() => across(`files:${key}`, work));
    writing.set(key, mine);
    try {
      return await mine;
    } finally {
      if (writing.get(key) === mine) writing.delete(key);
    }
  }

  return { run, exclusive };
}

export type FilesRunner = ReturnType<typeof createFilesRunner>;
