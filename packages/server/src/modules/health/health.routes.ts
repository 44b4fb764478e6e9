import { HealthSchema, ReadySchema } from '@berth/contracts';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';

const READY_TIMEOUT_MS = 2_000;

export function registerHealthRoutes(app: App, { database }: { database: Pick<Database, 'ping' | 'kind'> }): void {
  app.get('/healthz', { config: { public: true }, schema: { tags: ['health'], response: { 200: HealthSchema } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get('/readyz', { config: { public: true }, schema: { tags: ['health'], response: responses({ 200: ReadySchema }) } }, async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
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
