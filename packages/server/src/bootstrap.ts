import type { Db } from './db/client.js';
import { isUniqueViolation } from './db/errors.js';
import { hashPassword, newSecret } from './modules/auth/auth.secrets.js';
import type { Services } from './services.js';

export interface BootstrapResult {
  /** Set only when this start created the admin with a generated password: show it once. */
  generatedPassword?: string;
  adminCreated: boolean;
}

/**
 * First start on an empty database: seed the config flags and create the
 * administrator. Safe to run on every start and from several processes at once.
 */
export async function bootstrap(
  db: Db,
  services: Pick<Services, 'config' | 'usersRepo' | 'users' | 'audit' | 'machineTypes' | 'quotas' | 'templates'>,
  admin: { username: string; password: string | undefined },
): Promise<BootstrapResult> {
  await services.config.seedDefaults();
  await services.machineTypes.seedDefaults();
  await services.templates.seedDefaults();
  await services.quotas.backfill();
  if ((await services.usersRepo.count(db)) > 0) return { adminCreated: false };

  const password = admin.password ?? newSecret('pw').slice(3, 27);
  const [passwordHash, quotaDefaults] = await Promise.all([hashPassword(password), services.quotas.defaults()]);
  const ctx = { actor: null, ip: null, userAgent: null, requestId: 'bootstrap' };
  try {
    await services.audit.mutate(ctx, 'user.create', { targetType: 'user', message: 'initial administrator' }, async (tx, rec) => {
      const user = await services.users.insertNew(tx, { username: admin.username, passwordHash, isAdmin: true }, quotaDefaults);
      rec.targetId = user.id;
    });
  } catch (err) {
    if (isUniqueViolation(err) || (err as { code?: string }).code === 'conflict') return { adminCreated: false }; // another process won the race
    throw err;
  }
  return { adminCreated: true, generatedPassword: admin.password ? undefined : password };
}
