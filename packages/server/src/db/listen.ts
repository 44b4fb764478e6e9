import pg from 'pg';

/** Told when a LISTEN connection is lost and when it is back (notifications sent in between are lost). */
export interface ListenEvents {
  onLost?(err: Error): void;
  onRestored?(): void;
}

/** Stops listening. */
export type Unlisten = () => Promise<void>;

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * LISTEN on a PostgreSQL connection of its own: a pooled connection goes back
 * to the pool and its subscription with it. When the connection fails it is
 * replaced, with a growing delay; the first connection must succeed, so a
 * process that cannot listen does not start.
 */
export async function listenPostgres(url: string, channel: string, onPayload: (payload: string) => void, events: ListenEvents = {}): Promise<Unlisten> {
  let stopped = false;
  let current: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let delay = RETRY_MIN_MS;

  async function open(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', (err) => lost(client, err));
    client.on('end', () => lost(client, new Error('the LISTEN connection ended')));
    client.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) onPayload(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }

  function lost(client: pg.Client, err: Error): void {
    if (client !== current || stopped) return;
    current = undefined;
    void client.end().catch(() => undefined);
    events.onLost?.(err);
    reconnect();
  }

  function reconnect(): void {
    retry = setTimeout(() => {
      open().then(
        async (client) => {
          if (stopped) return client.end();
          current = client;
          delay = RETRY_MIN_MS;
          events.onRestored?.();
        },
        () => {
          delay = Math.min(delay * 2, RETRY_MAX_MS);
          if (!stopped) reconnect();
        },
      );
    }, delay);
  }

  current = await open();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const client = current;
    current = undefined;
    await client?.end().catch(() => undefined);
  };
}
