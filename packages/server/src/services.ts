import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { createAuditRepo } from './modules/audit/audit.repo.js';
import { createAuditService } from './modules/audit/audit.service.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createLoginThrottleRepo } from './modules/auth/login-throttle.repo.js';
import { createSessionsRepo } from './modules/auth/sessions.repo.js';
import { createConfigRepo } from './modules/config/config.repo.js';
import { createConfigService } from './modules/config/config.service.js';
import { createTokensRepo } from './modules/tokens/tokens.repo.js';
import { createTokensService } from './modules/tokens/tokens.service.js';
import { createUsersRepo } from './modules/users/users.repo.js';
import { createUsersService } from './modules/users/users.service.js';

export type ServiceConfig = Pick<Config, 'sessionTtlHours' | 'loginThrottle'>;

/** The composition root: every service and the narrow dependencies it gets. */
export function createServices(database: Database, config: ServiceConfig) {
  const { db } = database;
  const usersRepo = createUsersRepo();
  const sessionsRepo = createSessionsRepo();
  const tokensRepo = createTokensRepo();
  const audit = createAuditService({ db, auditRepo: createAuditRepo() });
  return {
    audit,
    usersRepo,
    auth: createAuthService({
      db,
      usersRepo,
      sessionsRepo,
      tokensRepo,
      throttleRepo: createLoginThrottleRepo(),
      audit,
      sessionTtlHours: config.sessionTtlHours,
      throttle: config.loginThrottle,
    }),
    users: createUsersService({ db, usersRepo, sessionsRepo, tokensRepo, audit }),
    tokens: createTokensService({ db, tokensRepo, audit }),
    config: createConfigService({ db, configRepo: createConfigRepo(), audit }),
  };
}

export type Services = ReturnType<typeof createServices>;
