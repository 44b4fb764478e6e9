import type { AssistantServerEvent } from '@berth/contracts';
import WebSocket from 'ws';
import { waitFor } from './wait.js';

type EventOf<T extends AssistantServerEvent['type']> = Extract<AssistantServerEvent, { type: T }>;

/** An assistant WebSocket client that keeps every event the server sent, in order. */
export class AssistantClient {
  events: AssistantServerEvent[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => this.events.push(JSON.parse(data.toString()) as AssistantServerEvent));
    this.opened = new Promise((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { statusCode: res.statusCode })));
      socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => socket.once('close', (code) => resolve(code)));
  }

  static open(url: string, headers: Record<string, string>): AssistantClient {
    return new AssistantClient(new WebSocket(url, { headers }));
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Events of a type, from the `from`-th event on. */
  all<T extends AssistantServerEvent['type']>(type: T, from = 0): EventOf<T>[] {
    return this.events.slice(from).filter((e): e is EventOf<T> => e.type === type);
  }

  /** Waits for the first event of a type (after `from`) that matches, and returns it. */
  next<T extends AssistantServerEvent['type']>(type: T, from = 0, match: (e: EventOf<T>) => boolean = () => true, timeoutMs = 30_000): Promise<EventOf<T>> {
    return waitFor(
      () => `a ${type} event (got ${JSON.stringify(this.events.slice(from).slice(-8))})`,
      async () => this.all(type, from).find(match),
      timeoutMs,
      20,
    );
  }

  /** Sends a message and waits for the turn it starts to end: the events of that turn, `done` last. */
  async turn(text: string, timeoutMs = 60_000): Promise<AssistantServerEvent[]> {
    const from = this.events.length;
    this.send({ text });
    await this.next('done', from, () => true, timeoutMs);
    return this.events.slice(from);
  }

  close(): Promise<number> {
    this.socket.close();
    return this.closed;
  }
}
