import { SOCKET_CLOSE_NOT_FOUND, type EnvironmentEvent, type EnvironmentStatus } from '@berth/contracts';
import type { ApiClient } from './client.js';
import { CliError } from './context.js';

/**
 * Follows an environment's events over the WebSocket (replay after `since`,
 * then live). `onEvent` returns true to stop; the promise settles when it does,
 * or rejects if the server closes the stream first.
 */
export function followEvents(client: ApiClient, id: string, since: number, onEvent: (event: EnvironmentEvent) => boolean | void): { done: Promise<void>; stop(): void } {
  const socket = client.socket(`/environments/${encodeURIComponent(id)}/events/ws`, { since });
  let stopped = false;
  const stop = () => {
    stopped = true;
    socket.close();
  };
  const done = new Promise<void>((resolve, reject) => {
    socket.on('message', (data: Buffer) => {
      if (stopped) return;
      if (onEvent(JSON.parse(data.toString()) as EnvironmentEvent)) {
        stop();
        resolve();
      }
    });
    socket.once('unexpected-response', (_req, res) => {
      stopped = true;
      reject(new CliError(res.statusCode === 404 ? 'environment not found' : `the event stream was refused (HTTP ${res.statusCode})`, res.statusCode === 401 ? 'run `berth login`' : undefined));
      socket.terminate();
    });
    socket.once('error', (err) => {
      if (!stopped) reject(new CliError(`event stream: ${err.message}`));
    });
    socket.once('close', (code, reason) => {
      if (stopped) return resolve();
      reject(new CliError(code === SOCKET_CLOSE_NOT_FOUND ? 'environment not found' : `the event stream closed (${code} ${reason.toString()})`));
    });
  });
  return { done, stop };
}

export function describeEvent(event: EnvironmentEvent): string {
  return event.type === 'status' && event.status ? `status: ${event.status}${event.message && event.message !== event.status ? ` (${event.message})` : ''}` : event.message;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Waits for the environment to reach `target` (or error), showing progress on stderr: a spinner on a terminal, plain lines otherwise. */
export async function waitForStatus(client: ApiClient, id: string, target: EnvironmentStatus, since: number, stderr: NodeJS.WriteStream): Promise<EnvironmentStatus> {
  const tty = Boolean(stderr.isTTY);
  let current = 'waiting';
  let frame = 0;
  const draw = () => tty && stderr.write(`\r\u001b[2K${FRAMES[frame++ % FRAMES.length]} ${current}`);
  const timer = tty ? setInterval(draw, 100) : undefined;
  const line = (text: string) => stderr.write(tty ? `\r\u001b[2K${text}\n` : `${text}\n`);
  let reached: EnvironmentStatus = target;
  try {
    await followEvents(client, id, since, (event) => {
      if (event.type === 'status' && event.status) current = event.status;
      line(describeEvent(event));
      draw();
      if (event.status === target || event.status === 'error') {
        reached = event.status;
        return true;
      }
      return false;
    }).done;
  } finally {
    clearInterval(timer);
    if (tty) stderr.write('\r\u001b[2K');
  }
  return reached;
}

/** The seq of the newest event, so a wait only looks at what happens next. */
export async function lastSeq(client: ApiClient, id: string): Promise<number> {
  let since = 0;
  for (;;) {
    const items = await client.events(id, since);
    if (items.length === 0) return since;
    since = items[items.length - 1]!.seq;
    if (items.length < 1000) return since;
  }
}
