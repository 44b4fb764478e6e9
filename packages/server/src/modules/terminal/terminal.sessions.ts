import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { TerminalClientMessageSchema, type TerminalServerMessage } from '@berth/contracts';
import { AppError } from '../../errors.js';
import type { Pty, RuntimeDriver } from '../../runtime/driver.js';
import { holderArchive, holderDir, type SessionHolder } from '../../runtime/session-holder.js';
import { Scrollback } from './terminal.scrollback.js';

export interface TerminalOptions {
  /** How long a shell with no client attached lives on. */
  graceMs: number;
  scrollbackBytes: number;
  maxPerEnvironment: number;
  /** Shells one user may have opened, across all environments (each holds an engine connection and scrollback). */
  maxPerUser: number;
}

interface Deps {
  runtime: Pick<RuntimeDriver, 'openPty' | 'writeArchive' | 'exec'>;
  /** berth-hold (session-holder.ts), which keeps shells alive inside environments; null: shells live in this process. */
  holder: SessionHolder | null;
  /** Typing is activity (the callee keeps the writes rare). */
  touch: (environmentId: string, source: string) => void;
  log: FastifyBaseLogger;
  options: TerminalOptions;
  /** A client more than highWaterBytes behind pauses the shell's output until it is under lowWaterBytes. */
  buffer: { highWaterBytes: number; lowWaterBytes: number };
}

interface Session {
  environmentId: string;
  sessionId: string;
  /** Who opened the shell: it counts against their cap while it lives. */
  userId: string;
  pty: Pty;
  scrollback: Scrollback;
  clients: Set<WebSocket>;
  grace?: NodeJS.Timeout;
}

/** How much longer than Berth's grace period a holder keeps a shell no Berth process attaches to. */
const HOLDER_GRACE_MARGIN_SECONDS = 5;

/** Login shell: bash when the image has it. */
const SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi'];

const send = (socket: WebSocket, message: TerminalServerMessage) => socket.readyState === socket.OPEN && socket.send(JSON.stringify(message));

/**
 * Terminal sessions. A session is a shell on a PTY that outlives its WebSocket for a grace period,
 * so a dropped client re-attaches to the same shell and gets the recent output first. The shell is
 * held inside the environment by berth-hold, with its own scrollback; this process attaches to it.
 * So a Berth process that dies takes no shell with it: the client reconnects through any other,
 * which attaches to the same shell and replays its scrollback. The holder ends a shell nobody
 * attached to for the grace period (and a bit), when no Berth process is left to.
 */
export function createTerminalSessions({ runtime, holder, touch, log, options, buffer }: Deps) {
  const sessions = new Map<string, Session>();
  const opening = new Map<string, { environmentId: string; userId: string; pending: Promise<Session> }>();
  const keyOf = (environmentId: string, sessionId: string) => `${environmentId}/${sessionId}`;
  /** Shells that are open or being opened. */
  const all = () => [...sessions.values(), ...opening.values()];

  /** Refuses up front when the environment, or the user across environments, already has as many terminals as allowed. */
  function checkLimit(environmentId: string, sessionId: string, userId: string): void {
    const key = keyOf(environmentId, sessionId);
    if (sessions.has(key) || opening.has(key)) return; // attaching to a shell that exists costs nothing new
    if (all().filter((s) => s.environmentId === environmentId).length >= options.maxPerEnvironment) {
      throw new AppError('terminal_limit', `An environment may have ${options.maxPerEnvironment} terminals open; close one first`);
    }
    if (all().filter((s) => s.userId === userId).length >= options.maxPerUser) {
      throw new AppError('terminal_limit', `A user may have ${options.maxPerUser} terminals open across their environments; close one first`);
    }
  }

  /**
   * Environments this process put the holder into: the first terminal of each writes it, those
   * opened at once wait for that one write, and later ones skip it. Writing it again each time cost
   * every open a copy, and replaced the binary while other terminals' holders were starting from it
   * (under gVisor, one could then start from a file half written, and its shell never came).
   */
  const installed = new Map<string, Promise<void>>();
  function install(environmentId: string, h: SessionHolder): Promise<void> {
    let done = installed.get(environmentId);
    if (!done) {
      done = runtime.writeArchive(environmentId, '/', holderArchive(h)).catch((err: unknown) => {
        installed.delete(environmentId);
        throw err;
      });
      installed.set(environmentId, done);
    }
    return done;
  }

  /**
   * The shell's command: through its holder (put in the environment first) when there is one. The
   * holder is told the size itself: the engine's resize of our end may come after the shell has
   * printed, or never (the engine gives up on a process slow to start, as under gVisor on a busy machine).
   */
  async function shellFor(environmentId: string, sessionId: string, size: { cols: number; rows: number }): Promise<string[]> {
    if (!holder) return SHELL;
    await install(environmentId, holder);
    // The holder's own grace outlasts ours: while a Berth process holds the session, it decides.
    const grace = Math.ceil(options.graceMs / 1000) + HOLDER_GRACE_MARGIN_SECONDS;
    return [holder.path, 'open', holderDir(sessionId), String(grace), String(options.scrollbackBytes), String(size.cols), String(size.rows), '--', ...SHELL];
  }

  async function open(key: string, environmentId: string, sessionId: string, userId: string, size: { cols: number; rows: number }): Promise<Session> {
    const pty = await runtime.openPty(environmentId, { argv: await shellFor(environmentId, sessionId, size), ...size });
    const session: Session = { environmentId, sessionId, userId, pty, scrollback: new Scrollback(options.scrollbackBytes), clients: new Set() };
    let paused = false;
    pty.stream.on('data', (chunk: Buffer) => {
      session.scrollback.push(chunk);
      for (const client of session.clients) if (client.readyState === client.OPEN) client.send(chunk, { binary: true });
      if (!paused && [...session.clients].some((c) => c.bufferedAmount > buffer.highWaterBytes)) {
        paused = true;
        pty.stream.pause();
        const check = setInterval(() => {
          if ([...session.clients].every((c) => c.bufferedAmount < buffer.lowWaterBytes || c.readyState !== c.OPEN)) {
            clearInterval(check);
            paused = false;
            pty.stream.resume();
          }
        }, 20);
      }
    });
    void pty.exited().then((code) => {
      // The holder was not there to start (its container was made anew since): the next open puts it back.
      if (code === 126 || code === 127) installed.delete(environmentId);
      // A shell ended by its grace period exits after its key was freed, perhaps reused by a new shell by now.
      if (sessions.get(key) === session) sessions.delete(key);
      clearTimeout(session.grace);
      for (const client of session.clients) {
        send(client, { type: 'exit', code });
        client.close(1000, 'shell exited');
      }
    });
    sessions.set(key, session);
    return session;
  }

  /**
   * Ends a shell for good: kills it and everything it started, then closes its stream. Ending the
   * stream alone does not end a shell on a TTY (Docker 20.10 closes our output and the shell lives on).
   */
  async function finish(s: Session): Promise<void> {
    try {
      // The holder ends the shell and every process of its session; then our client goes.
      if (holder) await runtime.exec(s.environmentId, { argv: [holder.path, 'stop', holderDir(s.sessionId)], cwd: '/', timeoutMs: 10_000, maxOutputBytes: 4096 });
      await s.pty.kill();
    } catch (err) {
      log.warn({ err, environmentId: s.environmentId }, 'could not kill a terminal shell');
    }
    s.pty.stream.end();
  }

  /** Attaches a WebSocket to the session, opening the shell the first time (on `userId`'s account). */
  async function attach(socket: WebSocket, environmentId: string, sessionId: string, userId: string, size: { cols: number; rows: number }): Promise<void> {
    const key = keyOf(environmentId, sessionId);
    // Keystrokes that arrive while the shell is being opened are kept, not lost.
    const early: [Buffer, boolean][] = [];
    const keep = (data: Buffer, isBinary: boolean) => early.push([data, isBinary]);
    socket.on('message', keep);
    let session = sessions.get(key);
    if (session) {
      clearTimeout(session.grace);
      const replay = session.scrollback.contents();
      if (replay.length > 0) socket.send(replay, { binary: true });
      await session.pty.resize(size.cols, size.rows);
    } else {
      checkLimit(environmentId, sessionId, userId);
      let pending = opening.get(key)?.pending;
      if (!pending) {
        pending = open(key, environmentId, sessionId, userId, size).finally(() => opening.delete(key));
        opening.set(key, { environmentId, userId, pending });
      }
      session = await pending;
    }
    const s = session;
    s.clients.add(socket);
    socket.off('message', keep);

    let inputHeld = false;
    const type = (data: Buffer) => {
      if (socket.readyState !== socket.OPEN) return;
      // A shell not reading its input (a long command in the foreground) must not make us hold
      // whatever the client keeps sending: stop reading this client until the engine takes more.
      if (!s.pty.stream.write(data) && !inputHeld) {
        inputHeld = true;
        socket.pause();
        s.pty.stream.once('drain', () => {
          inputHeld = false;
          socket.resume();
        });
      }
      touch(environmentId, sessionId);
    };
    // What the client sends reaches the shell in the order it was sent. A resize goes to the
    // engine by a call of its own, so what follows it waits until the shell has the new size.
    let resizing: Promise<unknown> | undefined;
    const afterResizes = (step: () => unknown) => {
      const next = (resizing ?? Promise.resolve()).then(step).catch((err: unknown) => log.warn({ err, environmentId, sessionId }, 'terminal resize failed'));
      resizing = next;
      void next.then(() => {
        if (resizing === next) resizing = undefined;
      });
    };
    const receive = (data: Buffer, isBinary: boolean) => {
      // A socket being closed (its credentials revoked, say) types nothing more, and so keeps nothing awake.
      if (socket.readyState !== socket.OPEN) return;
      if (isBinary) {
        if (resizing) afterResizes(() => type(data));
        else type(data);
        return;
      }
      const parsed = TerminalClientMessageSchema.safeParse(safeJson(data.toString()));
      if (!parsed.success) {
        send(socket, { type: 'error', code: 'validation_failed', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
        return;
      }
      const { cols, rows } = parsed.data;
      afterResizes(() => s.pty.resize(cols, rows));
    };
    const detach = () => {
      s.clients.delete(socket);
      if (s.clients.size === 0 && sessions.get(key) === s) {
        clearTimeout(s.grace);
        s.grace = setTimeout(() => {
          log.info({ environmentId, sessionId }, 'terminal session ended after its grace period');
          sessions.delete(key);
          void finish(s);
        }, options.graceMs);
      }
    };
    socket.on('message', receive);
    for (const [data, isBinary] of early) receive(data, isBinary);
    if (socket.readyState !== socket.OPEN) detach();
    else socket.on('close', detach);
  }

  /** Ends every shell (server shutdown); resolves once they and everything they started are gone. */
  async function closeAll(): Promise<void> {
    const ending: Promise<void>[] = [];
    for (const [key, s] of sessions) {
      clearTimeout(s.grace);
      for (const client of s.clients) client.close(1001, 'server shutting down');
      sessions.delete(key);
      ending.push(finish(s));
    }
    await Promise.all(ending);
  }

  return { checkLimit, attach, closeAll, count: () => sessions.size };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export type TerminalSessions = ReturnType<typeof createTerminalSessions>;
