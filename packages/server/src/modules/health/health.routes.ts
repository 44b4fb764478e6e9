import { HealthSchema, ReadySchema } from '@berth/contracts';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';

/** readyTimeoutMs: how long /readyz waits for the database. */
export function registerHealthRoutes(app: App, { database, readyTimeoutMs }: { database: Pick<Database, 'ping' | 'kind'>; readyTimeoutMs: number }): void {
  app.get('/healthz', { config: { public: true }, schema: { tags: ['health'], response: { 200: HealthSchema } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get('/readyz', { config: { public: true }, schema: { tags: ['health'], response: responses({ 200: ReadySchema }) } }, async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${readyTimeoutMs} ms`)), readyTimeoutMs);
    });
    try {
      await Promise.race([database.ping(), timeout]);
    } catch (err) {
      throw new AppError('not_ready', `The database does not answer: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    return { status: 'ready' as const, database: database.kind };
  });
}
