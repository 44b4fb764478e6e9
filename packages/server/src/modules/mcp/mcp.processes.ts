import type { RequestContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EnvdProcesses, Listener } from '../e2b/envd.processes.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import { OutputTail } from './mcp.domain.js';

interface Deps {
  /** The one process manager for processes that outlive a request (E2B's uses it too). */
  processes: Pick<EnvdProcesses, 'start' | 'kill'>;
  environments: Pick<EnvironmentsService, 'running' | 'visibleIn' | 'noteActivity'>;
  audit: Pick<AuditService, 'record'>;
  /** Output kept per stream of each process (its last bytes). */
  maxOutputBytes: number;
}

interface Tracked {
  pid: number;
  command: string;
  startedAt: Date;
  stdout: OutputTail;
  stderr: OutputTail;
  end?: { exitCode: number | null; killed: boolean; timedOut: boolean; endedAt: Date };
}

export interface BackgroundStart {
  command: string;
  cwd?: string;
  /** Killed after this long; omitted, it runs until it ends or the environment stops. */
  timeoutMs?: number;
}

/**
 * Finished processes remembered per environment for `process_status`, beyond
 * which the oldest are forgotten: a model polls a process soon after it ends,
 * and what it printed is held in memory.
 */
const FINISHED_KEPT_PER_ENVIRONMENT = 50;

/**
 * `exec` with background: true. The process runs in the envd process manager
 * (capped per user, killed with its environment, listed by E2B's API too);
 * this keeps what it printed and how it ended, so `process_status` can say.
 */
export function createMcpProcesses({ processes, environments, audit, maxOutputBytes }: Deps) {
  const byEnvironment = new Map<string, Map<number, Tracked>>();

  function forgetOldFinished(environmentId: string): void {
    const tracked = byEnvironment.get(environmentId);
    if (!tracked) return;
    const finished = [...tracked.values()].filter((t) => t.end);
    for (const old of finished.slice(0, Math.max(0, finished.length - FINISHED_KEPT_PER_ENVIRONMENT))) tracked.delete(old.pid);
  }

  async function start(ctx: RequestContext, environmentId: string, { command, cwd, timeoutMs }: BackgroundStart): Promise<{ pid: number }> {
    const env = await environments.running(ctx, environmentId);
    const entry: Tracked = { pid: 0, command, startedAt: new Date(), stdout: new OutputTail(maxOutputBytes), stderr: new OutputTail(maxOutputBytes) };
    let deadline: NodeJS.Timeout | undefined;
    let timedOut = false;
    const listener: Listener = (event) => {
      if ('data' in event) {
        if ('stdout' in event.data) entry.stdout.push(event.data.stdout);
        else if ('stderr' in event.data) entry.stderr.push(event.data.stderr);
      } else if ('end' in event) {
        clearTimeout(deadline);
        const { exitCode, exited } = event.end;
        entry.end = { exitCode: exited ? exitCode : null, killed: !exited, timedOut, endedAt: new Date() };
        forgetOldFinished(environmentId);
      }
    };
    let started = false;
    try {
      // Owned, as E2B's processes are, by the environment's owner: the per-user cap is theirs.
      entry.pid = await processes.start(environmentId, { ownerId: env.ownerId, config: { cmd: 'bash', args: ['-lc', command], envs: {}, cwd }, stdin: false, listener });
      started = true;
    } finally {
      // The command itself is not recorded (it may carry secrets), as for every exec.
      await audit.record(ctx, 'environment.exec', { targetType: 'environment', targetId: environmentId, metadata: { program: 'bash', cwd: cwd ?? '/workspace', background: true, via: 'mcp' } }, started);
      environments.noteActivity(environmentId, 'mcp');
    }
    let tracked = byEnvironment.get(environmentId);
    if (!tracked) byEnvironment.set(environmentId, (tracked = new Map()));
    tracked.set(entry.pid, entry);
    if (timeoutMs !== undefined && !entry.end) {
      deadline = setTimeout(() => ((timedOut = true), void processes.kill(environmentId, { pid: entry.pid }).catch(() => undefined)), timeoutMs);
      deadline.unref();
    }
    return { pid: entry.pid };
  }

  /** What a background process printed so far (its last bytes) and whether and how it ended. */
  async function status(ctx: RequestContext, environmentId: string, pid: number) {
    // Its output is the environment's: whoever may use the environment may read it, whether or not it still runs.
    await environments.visibleIn(ctx, environmentId, 'use');
    const entry = byEnvironment.get(environmentId)?.get(pid);
    if (!entry) throw new NotFoundError(`Background process ${pid} of this environment`);
    return {
      pid,
      command: entry.command,
      status: entry.end ? (entry.end.timedOut ? 'timed_out' : entry.end.killed ? 'killed' : 'exited') : 'running',
      exitCode: entry.end?.exitCode ?? null,
      stdout: entry.stdout.text(),
      stderr: entry.stderr.text(),
      droppedBytes: { stdout: entry.stdout.dropped, stderr: entry.stderr.dropped },
      startedAt: entry.startedAt.toISOString(),
      endedAt: entry.end?.endedAt.toISOString() ?? null,
    };
  }

  return { start, status };
}

export type McpProcesses = ReturnType<typeof createMcpProcesses>;
