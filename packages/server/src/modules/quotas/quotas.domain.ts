import { AppError } from '../../errors.js';

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
export function refusalToRun(quota: QuotaLimits, type: { name: string; creditsCost: number }, usage: Usage, opts: { isNew: boolean }): AppError | null {
  if (!quota.active) return new AppError('quota_inactive', 'Your quota is inactive; ask an administrator to reactivate it');
  if (opts.isNew && !quota.allowedTypes.includes(type.name)) {
    return new AppError('machine_type_not_allowed', `Your quota does not allow machine type "${type.name}"`);
  }
  if (opts.isNew && usage.environments >= quota.maxEnvironments) {
    return new AppError('environment_limit', `You have ${usage.environments} environment(s), the most your quota allows`);
  }
  const left = quota.credits - usage.creditsInUse;
  if (type.creditsCost > left) {
    return new AppError('insufficient_credits', `Machine type "${type.name}" needs ${type.creditsCost} credit(s) to run; you have ${Math.max(left, 0)} left of ${quota.credits}`);
  }
  return null;
}
