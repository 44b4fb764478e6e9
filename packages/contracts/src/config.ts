import { z } from 'zod';
import { TimestampSchema } from './common.js';

export const ConfigFlagSchema = z
  .object({
    name: z.string(),
    value: z.string().describe('The value, or "********" for a secret that is set'),
    description: z.string(),
    secret: z.boolean(),
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'ConfigFlag' });

export const ConfigListSchema = z.object({ items: z.array(ConfigFlagSchema) });
export const ConfigNameParamsSchema = z.strictObject({ name: z.string().max(64) });
export const UpdateConfigBodySchema = z.strictObject({
  value: z.string().max(4096),
  description: z.string().max(500).optional(),
});

export const SECRET_MASK = '********';

export type ConfigFlag = z.infer<typeof ConfigFlagSchema>;
export type UpdateConfigBody = z.infer<typeof UpdateConfigBodySchema>;
