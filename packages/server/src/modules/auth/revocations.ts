import type { FastifyBaseLogger } from 'fastify';
import type { Database, Db } from '../../db/client.js';
import type { Unlisten } from '../../db/listen.js';
import { RevocationSchema, type LiveConnections, type Revocation } from './live-connections.js';
import type { RevocationsRepo } from './revocations.repo.js';

interface Deps {
  db: Db;
  database: Pick<Database, 'listen'>;
  repo: RevocationsRepo;
  live: Pick<LiveConnections, 'revoke' | 'principals'>;
  log: FastifyBaseLogger;
  /** How often open connections are checked against the database anyway (expiry, missed notifications). */
  recheckMs: number;
}

/** The PostgreSQL channel every Berth process listens on. */
export const REVOCATIONS_CHANNEL = 'berth_revocations';

/**
 * Revocation that reaches every Berth process. A change that revokes
 * credentials announces it in its own transaction (NOTIFY: delivered on
 * commit, dropped on rollback); every process LISTENs and ends the matching
 * live connections. The announcing process also applies it itself right after
 * the commit, so it never depends on its LISTEN connection being up; applying
 * twice is harmless. A periodic re-check of every open connection's
 * credentials catches what no notification said: expiry, and notifications
 * lost while a LISTEN connection was being replaced.
 */
export function createRevocations({ db, database, repo, live, log, recheckMs }: Deps) {
  /** Inside the change's transaction. */
  async function announce(tx: Db, ...revocations: Revocation[]): Promise<void> {
    for (const r of revocations) await repo.notify(tx, REVOCATIONS_CHANNEL, JSON.stringify(r));
  }

  /** After the change committed: ends this process's matching connections. */
  function apply(...revocations: Revocation[]): void {
    for (const r of revocations) {
      const closed = live.revoke(r);
      if (closed > 0) log.info({ revocation: r, closed }, 'closed the live connections of revoked credentials');
    }
  }

  function received(payload: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      parsed = undefined;
    }
    const r = RevocationSchema.safeParse(parsed);
    if (r.success) apply(r.data);
    else log.warn({ payload: payload.slice(0, 200) }, 'ignored a malformed revocation notification');
  }

  /** Ends every open connection whose user, session or token is no longer valid; returns how many revocations that took. */
  async function recheck(): Promise<number> {
    const principals = live.principals();
    if (principals.length === 0) return 0;
    const ids = (via?: 'session' | 'token') => [...new Set(principals.filter((p) => p.via === via && p.credentialId).map((p) => p.credentialId!))];
    const valid = await repo.stillValid(db, { users: [...new Set(principals.map((p) => p.userId))], sessions: ids('session'), tokens: ids('token') });
    const due = new Map<string, Revocation>();
    for (const p of principals) {
      if (!valid.has(p.userId)) due.set(p.userId, { scope: 'user', userId: p.userId });
      else if (p.credentialId && (p.via === 'session' || p.via === 'token') && !valid.has(p.credentialId)) {
        due.set(p.credentialId, { scope: 'credential', userId: p.userId, credentialId: p.credentialId });
      }
    }
    apply(...due.values());
    return due.size;
  }

  const recheckLogged = () => void recheck().catch((err: unknown) => log.warn({ err }, 're-checking live connections failed'));
  let unlisten: Unlisten | undefined;
  let timer: NodeJS.Timeout | undefined;

  return {
    announce,
    apply,
    recheck,
    /** Starts listening (fails if it cannot: a process deaf to revocations must not serve). */
    async start(): Promise<void> {
      unlisten = await database.listen(REVOCATIONS_CHANNEL, received, {
        onLost: (err) => log.warn({ err }, 'lost the connection listening for revocations; reconnecting'),
        onRestored: () => {
          log.info('listening for revocations again; re-checking live connections');
          recheckLogged();
        },
      });
      timer = setInterval(recheckLogged, recheckMs);
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await unlisten?.();
      unlisten = undefined;
    },
  };
}

export type Revocations = ReturnType<typeof createRevocations>;
