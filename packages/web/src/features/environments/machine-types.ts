import type { MachineType, Quota } from '@berth/contracts';
import { formatCredits } from './format.js';

/** Why the caller cannot start an environment of this type now, or null when they can. */
export function unaffordableReason(type: Pick<MachineType, 'creditsCost'>, quota: Quota): string | null {
  if (!quota.active) return 'your quota is inactive';
  if (type.creditsCost > quota.creditsLeft) return `needs ${formatCredits(type.creditsCost)}, you have ${Math.max(quota.creditsLeft, 0)}`;
  return null;
}
