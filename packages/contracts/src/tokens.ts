import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.js';

export const CreateTokenBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  expiresInDays: z.number().int().min(1).max(3650).optional().describe('Omit for a token that never expires'),
});

export const TokenSchema = z
  .object({
    id: IdSchema,
    name: z.string(),
    prefix: z.string().describe('The first characters of the secret, to recognise it'),
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
export type CreatedToken = z.infer<typeof CreatedTokenSchema>;
