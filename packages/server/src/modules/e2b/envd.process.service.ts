import type { RequestContext } from '../../context.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { ConnectCode } from './e2b.errors.js';
import type { Sandbox } from './e2b.repo.js';
import { resolvePath } from './envd.files.js';
import type { EnvdProcesses, Listener, ProcessConfig } from './envd.processes.js';

interface Deps {
  processes: Pick<EnvdProcesses, 'start' | 'kill' | 'detach'>;
  audit: Pick<AuditService, 'record'>;
  environments: Pick<EnvironmentsService, 'noteActivity'>;
}

/** envd's Start request, as the route validated it. */
export interface StartRequest {
  process: ProcessConfig;
  pty?: { size: { cols: number; rows: number } };
  tag?: string;
  stdin?: boolean;
}

/** Where a started process's events go: `send` takes each, `fail` ends the stream with an error instead of the end event. */
export interface StartSink {
  send: Listener;
  fail: (error: { code: ConnectCode; message: string }) => void;
}

/** How much later than the Berth process's own timer a process's holder kills it at its deadline. */
const HOLDER_DEADLINE_MARGIN_MS = 2000;

/**
 * envd's Start for one sandbox: the process gets the sandbox's variables and
 * envd's path rules, is audited (started or not), counts as activity, and is
 * killed when its Connect-Timeout-Ms passes, as envd does: the deadline ends
 * the process, not just the stream, and holds after a disconnect too.
 */
export function createEnvdProcessService({ processes, audit, environments }: Deps) {
  /** The process as it will run: the sandbox's variables under its own, its folder by envd's path rules (refused here, before any stream opens). */
  const configOf = (sandbox: Sandbox, process: ProcessConfig): ProcessConfig => ({
    ...process,
    envs: { ...sandbox.envVars, ...process.envs },
    cwd: process.cwd === undefined ? undefined : resolvePath(process.cwd),
  });

  /** Starts a process whose config came from configOf; failures reject (the caller's stream reports them). */
  async function start(ctx: RequestContext, sandbox: Sandbox, body: StartRequest, timeoutMs: number, sink: StartSink): Promise<{ detach: () => void }> {
    const env = sandbox.env.id;
    const config = body.process;
    let deadline: NodeJS.Timeout | undefined;
    let timedOut = false;
    const listener: Listener = (event) => {
      if (!('end' in event)) return sink.send(event);
      clearTimeout(deadline);
      if (!timedOut) return sink.send(event);
      sink.fail({ code: 'deadline_exceeded', message: `the command exceeded its timeout of ${timeoutMs} ms and was killed` });
    };
    let pid: number;
    let started = false;
    try {
      // The holder's deadline, a little later than ours, ends it should no Berth process be left to.
      const deadlineMs = timeoutMs ? timeoutMs + HOLDER_DEADLINE_MARGIN_MS : 0;
      pid = await processes.start(env, { ownerId: sandbox.env.ownerId, config, tag: body.tag, stdin: body.stdin ?? false, tty: body.pty?.size, listener, deadlineMs });
      started = true;
    } finally {
      // The command itself is not recorded (it may carry secrets): which program, where, and how it was started.
      await audit.record(ctx, 'environment.exec', { targetType: 'environment', targetId: env, metadata: { program: config.cmd, cwd: config.cwd ?? '/workspace', pty: Boolean(body.pty), via: 'e2b' } }, started);
      environments.noteActivity(env, 'e2b');
    }
    if (timeoutMs) deadline = setTimeout(() => ((timedOut = true), void processes.kill(env, { pid }).catch(() => undefined)), timeoutMs);
    return { detach: () => processes.detach(env, pid, listener) };
  }

  return { configOf, start };
}

export type EnvdProcessService = ReturnType<typeof createEnvdProcessService>;
