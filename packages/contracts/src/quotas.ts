import { z } from 'zod';

export const QuotaSchema = z
  .object({
    credits: z.number().int(),
    creditsUsed: z.number().int().describe('Sum of the costs of environments whose desired state is running'),
    creditsLeft: z.number().int(),
    active: z.boolean(),
    allowedTypes: z.array(z.string()),
    maxEnvironments: z.number().int(),
    aiUsesPerDay: z.number().int(),
    idleTimeoutMinutes: z.number().int().describe('Running environments idle this long are stopped; 0 = never'),
  })
  .meta({ id: 'Quota' });

export const UpdateQuotaBodySchema = z
  .strictObject({
    credits: z.number().int().min(0).max(1_000_000),
    active: z.boolean(),
    allowedTypes: z.array(z.string().max(32)).max(100),
    maxEnvironments: z.number().int().min(0).max(1000),
    aiUsesPerDay: z.number().int().min(0).max(100_000),
    idleTimeoutMinutes: z.number().int().min(0).max(525_600),
  })
  .partial();

export type Quota = z.infer<typeof QuotaSchema>;
export type UpdateQuotaBody = z.infer<typeof UpdateQuotaBodySchema>;
