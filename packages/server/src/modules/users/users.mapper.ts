import type { User } from '@berth/contracts';
import type { UserRow } from './users.repo.js';

export const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  email: r.email,
  isAdmin: r.isAdmin,
  active: r.active,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});
