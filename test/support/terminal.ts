import WebSocket from 'ws';
import { shellWaitMs } from './runtime-class.js';
import { GaveUp, waitFor } from './wait.js';

/** A terminal WebSocket client that collects everything the shell prints. */
export class TerminalClient {
  output = '';
  messages: { type: string; code?: unknown; message?: string }[] = [];
  closeCode: number | undefined;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.output += data.toString('utf8');
      else this.messages.push(JSON.parse(data.toString()) as TerminalClient['messages'][number]);
    });
    this.opened = new Promise((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { statusCode: res.statusCode })));
      socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => socket.once('close', (code) => resolve((this.closeCode = code))));
  }

  static open(url: string, headers: Record<string, string>): TerminalClient {
    return new TerminalClient(new WebSocket(url, { headers }));
  }

  type(text: string): void {
    this.socket.send(Buffer.from(text), { binary: true });
  }

  control(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Waits until the output matches, and returns the match. */
  async expect(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    // What was seen is read when the wait fails, not when it began.
    const seen = () => `terminal output matching ${pattern} (got ${JSON.stringify(this.output.slice(-300))}; messages ${JSON.stringify(this.messages)}; closed ${this.closeCode ?? 'no'})`;
    return waitFor(seen, async () => {
      const match = pattern.exec(this.output);
      // A closed socket brings no more output: waiting on would only hide why.
      if (!match && this.closeCode !== undefined) throw new GaveUp(`the terminal closed before ${seen()}`);
      return match ?? undefined;
    }, shellWaitMs(timeoutMs), 20);
  }

  close(): Promise<number> {
    this.socket.close();
    return this.closed;
  }
}
