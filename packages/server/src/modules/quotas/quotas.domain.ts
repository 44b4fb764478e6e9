import { AppError, ValidationError } from '../../errors.js';

export interface QuotaLimits {
  credits: number;
  active: boolean;
  allowedTypes: string[];
  maxEnvironments: number;
}

export interface Usage {
  /** Sum of credit costs of the owner's environments whose desired state is running. */
  creditsInUse: number;
  /** The owner's environments that are not deleted. */
  environments: number;
}

/** Why a new running environment of this type would break the quota, as the error to answer with. */
/** `isNew`: something new (its machine type must be allowed); `environment`: one more environment (false for an app's replicas). */
export interface RunOptions {
  isNew: boolean;
  environment?: boolean;
}

export function refusalToRun(quota: QuotaLimits, type: { name: string; creditsCost: number }, usage: Usage, opts: RunOptions): AppError | null {
  if (!quota.active) return new AppError('quota_inactive', 'Your quota is inactive; ask an administrator to reactivate it');
  if (opts.isNew && !quota.allowedTypes.includes(type.name)) {
    return new AppError('machine_type_not_allowed', `Your quota does not allow machine type "${type.name}"`);
  }
  if (opts.isNew && opts.environment !== false && usage.environments >= quota.maxEnvironments) {
    return new AppError('environment_limit', `You have ${usage.environments} environment(s), the most your quota allows`);
  }
  const left = quota.credits - usage.creditsInUse;
  if (type.creditsCost > left) {
    return new AppError('insufficient_credits', `Machine type "${type.name}" needs ${type.creditsCost} credit(s) to run; you have ${Math.max(left, 0)} left of ${quota.credits}`);
  }
  return null;
}

export interface OrgQuotaLimits {
  credits: number;
  memberCreditCap: number | null;
  allowedTypes: string[];
  maxEnvironments: number;
}

export interface OrgUsage extends Usage {
  /** What the member asking draws on the pool now. */
  memberCreditsInUse: number;
}

/** Why a new running environment of this type would break an organization's quota or the member's cap in it. */
export function refusalToRunInOrg(quota: OrgQuotaLimits, type: { name: string; creditsCost: number }, usage: OrgUsage, opts: RunOptions): AppError | null {
  if (opts.isNew && !quota.allowedTypes.includes(type.name)) {
    return new AppError('machine_type_not_allowed', `The organization's quota does not allow machine type "${type.name}"`);
  }
  if (opts.isNew && opts.environment !== false && usage.environments >= quota.maxEnvironments) {
    return new AppError('environment_limit', `The organization has ${usage.environments} environment(s), the most its quota allows`);
  }
  const left = quota.credits - usage.creditsInUse;
  if (type.creditsCost > left) {
    return new AppError('insufficient_credits', `Machine type "${type.name}" needs ${type.creditsCost} credit(s) to run; the organization has ${Math.max(left, 0)} left of ${quota.credits}`);
  }
  if (quota.memberCreditCap !== null && usage.memberCreditsInUse + type.creditsCost > quota.memberCreditCap) {
    return new AppError('member_credit_cap', `Machine type "${type.name}" needs ${type.creditsCost} credit(s); you use ${usage.memberCreditsInUse} of the ${quota.memberCreditCap} each member may use in this organization`);
  }
  return null;
}

/** The first way a quota would break its ceiling, as the field and what it may be at most. */
export function aboveCeiling(
  quota: { credits: number; maxEnvironments: number; allowedTypes: string[] },
  ceiling: { credits: number; maxEnvironments: number; allowedTypes: string[] },
): AppError | null {
  if (quota.credits > ceiling.credits) return new AppError('quota_above_ceiling', `credits: at most ${ceiling.credits}, the ceiling an administrator set`);
  if (quota.maxEnvironments > ceiling.maxEnvironments) return new AppError('quota_above_ceiling', `maxEnvironments: at most ${ceiling.maxEnvironments}, the ceiling an administrator set`);
  const outside = quota.allowedTypes.filter((t) => !ceiling.allowedTypes.includes(t));
  if (outside.length > 0) return new AppError('quota_above_ceiling', `allowedTypes: ${outside.join(', ')} not within the ceiling (${ceiling.allowedTypes.join(', ') || 'none'})`);
  return null;
}

/** What is left of a pool, never below nothing (a lowered quota can leave more in use than it allows). */
export const creditsLeft = (credits: number, inUse: number): number => Math.max(credits - inUse, 0);

/** The 400 for machine type names that name no type, or null when every one does. */
export function unknownTypes(given: string[] | undefined, known: string[]): ValidationError | null {
  const unknown = (given ?? []).filter((t) => !known.includes(t));
  return unknown.length > 0 ? new ValidationError([{ field: 'body.allowedTypes', message: `unknown machine type(s): ${unknown.join(', ')}` }]) : null;
}
