import { HealthSchema, ReadySchema, type RuntimeClass } from '@berth/contracts';
import type { Database } from '../../db/client.js';
import { AppError } from '../../errors.js';
import { responses } from '../../http/responses.js';
import type { App } from '../../http/types.js';
import type { RuntimeClasses } from '../nodes/runtime-classes.js';

interface Deps {
  database: Pick<Database, 'ping' | 'kind'>;
  /** What the engines offer (cached): shown, not waited on; none while no engine answers. */
  runtimeClasses: Pick<RuntimeClasses, 'offered'>;
  /** How long /readyz waits for the database. */
  readyTimeoutMs: number;
}

export function registerHealthRoutes(app: App, { database, runtimeClasses, readyTimeoutMs }: Deps): void {
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
    // Ready is the database's to say (the engine's outages are answered per request); the classes are what creates can ask for now.
    const classes = await runtimeClasses.offered().catch((): RuntimeClass[] => []);
    return { status: 'ready' as const, database: database.kind, runtimeClasses: classes };
  });
}
