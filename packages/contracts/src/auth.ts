import { z } from 'zod';
import { UserSchema } from './users.js';

/** Login accepts any string up to these bounds: the policy is enforced when a password is set, not here. */
export const LoginBodySchema = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});

export const LoginResponseSchema = z.object({ user: UserSchema });

export type LoginBody = z.infer<typeof LoginBodySchema>;

/**
 * The session cookie's name: `__Host-` prefixed (Secure, Path=/, no Domain, so
 * no other host or plain-http page can set or shadow it) whenever Berth is
 * reached over https; plain on http, where browsers refuse `__Host-` cookies.
 */
export const SESSION_COOKIE_NAMES = { secure: '__Host-berth_session', plain: 'berth_session' } as const;
