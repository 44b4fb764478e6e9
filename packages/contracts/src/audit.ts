import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.js';

export const AuditEntrySchema = z
  .object({
    id: z.string().describe('Monotonic id; pass it as `before` to page back'),
    actorId: IdSchema.nullable(),
    actorUsername: z.string().nullable(),
    action: z.string(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    message: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    success: z.boolean(),
    createdAt: TimestampSchema,
  })
  .meta({ id: 'AuditEntry' });

export const AuditQuerySchema = z.strictObject({
  actor: IdSchema.optional(),
  action: z.string().max(64).optional(),
  targetType: z.string().max(64).optional(),
  targetId: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().regex(/^\d{1,18}$/, 'an audit entry id').optional(),
});

/** An organization's trail pages like the whole log. */
export const OrgAuditQuerySchema = AuditQuerySchema.pick({ limit: true, before: true });

export const AuditPageSchema = z.object({
  items: z.array(AuditEntrySchema),
  nextCursor: z.string().nullable().describe('Pass as `before` for the next (older) page; null at the end'),
});

export type AuditEntry = z.infer<typeof AuditEntrySchema>;
export type AuditQuery = z.infer<typeof AuditQuerySchema>;
