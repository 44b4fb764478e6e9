import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.js';
import { QuotaSchema } from './quotas.js';

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}$/;
export const PASSWORD_MIN_LENGTH = 12;
/** Long enough for any passphrase, short enough that hashing it costs nothing unusual. */
export const PASSWORD_MAX_LENGTH = 256;

export const UsernameSchema = z
  .string()
  .max(39)
  .regex(USERNAME_PATTERN, 'letters, digits, "_", "." or "-", starting with a letter or digit (at most 39)');
export const PasswordSchema = z.string().min(PASSWORD_MIN_LENGTH).max(PASSWORD_MAX_LENGTH);
export const EmailSchema = z.email().max(254);

export const UserSchema = z
  .object({
    id: IdSchema,
    username: z.string(),
    email: z.string().nullable(),
    isAdmin: z.boolean(),
    active: z.boolean(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'User' });

export const CreateUserBodySchema = z.strictObject({
  username: UsernameSchema,
  email: EmailSchema.optional(),
  password: PasswordSchema,
  isAdmin: z.boolean().optional(),
});

export const UpdateUserBodySchema = z.strictObject({
  email: EmailSchema.nullable().optional(),
  password: PasswordSchema.optional(),
  isAdmin: z.boolean().optional(),
  active: z.boolean().optional(),
  revokeTokens: z.boolean().optional().describe("true: revoke all the user's API tokens (and close what they opened)"),
});

/** A user changing their own password proves they know the current one. */
export const ChangePasswordBodySchema = z.strictObject({
  currentPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH),
  newPassword: PasswordSchema,
  revokeTokens: z.boolean().optional().describe('true: also revoke all your API tokens'),
});

export const MeSchema = UserSchema.extend({ quota: QuotaSchema }).meta({ id: 'Me' });

export const UserListSchema = z.object({ items: z.array(UserSchema) });

export type User = z.infer<typeof UserSchema>;
export type Me = z.infer<typeof MeSchema>;
export type CreateUserBody = z.infer<typeof CreateUserBodySchema>;
export type UpdateUserBody = z.infer<typeof UpdateUserBodySchema>;
export type ChangePasswordBody = z.infer<typeof ChangePasswordBodySchema>;
