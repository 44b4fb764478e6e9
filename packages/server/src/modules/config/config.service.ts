import { SECRET_MASK, type ConfigFlag, type UpdateConfigBody } from '@berth/contracts';
import type { RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { authorize } from '../auth/authorize.js';
import { CONFIG_FLAGS, flagSpec, isConfigFlagName, type ConfigFlagName } from './config.domain.js';
import type { ConfigRepo, ConfigRow } from './config.repo.js';

interface Deps {
  db: Db;
  configRepo: ConfigRepo;
  audit: AuditService;
}

export function createConfigService({ db, configRepo, audit }: Deps) {
  /** Inserts every known flag that is missing, with its default. */
  async function seedDefaults(): Promise<void> {
    await configRepo.seed(
      db,
      Object.entries(CONFIG_FLAGS).map(([name, spec]) => ({
        name,
        value: spec.default,
        description: spec.description,
        secret: 'secret' in spec && spec.secret === true,
      })),
    );
  }

  /** A flag's current value, for other services (unmasked). */
  async function value(name: ConfigFlagName): Promise<string> {
    return (await configRepo.get(db, name))?.value ?? flagSpec(name).default;
  }

  async function list(ctx: RequestContext): Promise<ConfigFlag[]> {
    authorize(ctx.actor, 'config.manage');
    return (await configRepo.list(db)).map(toConfigFlag);
  }

  async function update(ctx: RequestContext, name: string, body: UpdateConfigBody): Promise<ConfigFlag> {
    authorize(ctx.actor, 'config.manage');
    if (!isConfigFlagName(name)) throw new NotFoundError(`Config flag "${name}"`);
    const spec = flagSpec(name);
    if (spec.secret && body.value === SECRET_MASK) {
      // The mask is what GET shows; writing it back would replace the real secret with asterisks.
      throw new ValidationError([{ field: 'body.value', message: 'send the new secret, not the mask' }]);
    }
    const parsed = spec.value.safeParse(body.value);
    if (!parsed.success) {
      throw new ValidationError(parsed.error.issues.map((i) => ({ field: 'body.value', message: i.message })));
    }
    // Secret values never reach the audit log.
    const metadata = spec.secret ? { secret: true } : { value: body.value };
    const row = await audit.mutate(ctx, 'config.update', { targetType: 'config', targetId: name, metadata }, async (tx) => {
      const updated = await configRepo.update(tx, name, { value: parsed.data, description: body.description });
      if (!updated) throw new NotFoundError(`Config flag "${name}"`);
      return updated;
    });
    return toConfigFlag(row);
  }

  return { seedDefaults, value, list, update };
}

export type ConfigService = ReturnType<typeof createConfigService>;

const toConfigFlag = (r: ConfigRow): ConfigFlag => ({
  name: r.name,
  value: r.secret && r.value !== '' ? SECRET_MASK : r.value,
  description: r.description,
  secret: r.secret,
  updatedAt: r.updatedAt.toISOString(),
});
