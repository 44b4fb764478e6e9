import { z } from 'zod';
import { UserSchema } from './users.js';

/** Login accepts any string up to these bounds: the policy is enforced when a password is set, not here. */
export const LoginBodySchema = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});

export const LoginResponseSchema = z.object({ user: UserSchema });

export type LoginBody = z.infer<typeof LoginBodySchema>;
