import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.js';

/** What a token may do at most, each including the ones before it; within its user's role, always. */
export const TOKEN_SCOPES = ['read', 'exec', 'admin'] as const;
export const TokenScopeSchema = z
  .enum(TOKEN_SCOPES)
  .describe('read: look only; exec: also make, run, stop and delete environments and sandboxes and work inside them (terminals, files, commands, previews); admin: everything its user may');

export const CreateTokenBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scope: TokenScopeSchema.optional().describe('Default admin: everything its user may'),
  expiresInDays: z.number().int().min(1).max(3650).optional().describe('Omit for a token that never expires'),
});

export const TokenSchema = z
  .object({
    id: IdSchema,
    name: z.string(),
    prefix: z.string().describe('The first characters of the secret, to recognise it'),
    scope: TokenScopeSchema,
    createdAt: TimestampSchema,
    expiresAt: TimestampSchema.nullable(),
    lastUsedAt: TimestampSchema.nullable(),
  })
  .meta({ id: 'Token' });

export const CreatedTokenSchema = TokenSchema.extend({
  token: z.string().describe('The secret: shown only in this response'),
}).meta({ id: 'CreatedToken' });

export const TokenListSchema = z.object({ items: z.array(TokenSchema) });

export type CreateTokenBody = z.infer<typeof CreateTokenBodySchema>;
export type Token = z.infer<typeof TokenSchema>;
export type TokenScope = (typeof TOKEN_SCOPES)[number];
export type CreatedToken = z.infer<typeof CreatedTokenSchema>;
