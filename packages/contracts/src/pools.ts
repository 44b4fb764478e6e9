import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.js';
import { ImageRefSchema, MachineTypeNameSchema } from './machine-types.js';
import { RuntimeClassSchema } from './nodes.js';

/** At most this many environments per pool: each one is a started container on this machine. */
export const MAX_POOL_SIZE = 200;

export const WarmPoolSchema = z
  .object({
    id: IdSchema,
    machineType: z.string(),
    templateId: IdSchema.nullable().describe('The Berth template its environments are made from; null for none'),
    templateSlug: z.string().nullable(),
    image: z.string().nullable().describe('The image an administrator named for the pool (an E2B template\'s, say); null: the template\'s or the machine type\'s'),
    size: z.number().int().describe('How many unclaimed environments the pool keeps'),
    runtimeClass: RuntimeClassSchema.describe("What its environments run under: the strongest of its own, its machine type's and its template's. A create claims only an environment of the class it would get cold (E2B sandboxes default to `sandboxed` where the engine has it)"),
    version: z.string().nullable().describe('What its environments are built as now (image, resources, template files); null when its machine type or template is gone'),
    ready: z.number().int().describe('Unclaimed, running, of the current version: what a create can claim'),
    building: z.number().int().describe('Unclaimed, on their way to running'),
    failed: z.number().int().describe('Unclaimed, in error (they keep their place until the pool is changed)'),
    draining: z.number().int().describe('Of an earlier version or beyond the size, being deleted'),
    claimed: z.number().int().describe('Claimed from this pool since it was made'),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'WarmPool' });

export const CreateWarmPoolBodySchema = z.strictObject({
  machineType: MachineTypeNameSchema,
  templateId: IdSchema.optional(),
  image: ImageRefSchema.optional(),
  size: z.number().int().min(0).max(MAX_POOL_SIZE),
  runtimeClass: RuntimeClassSchema.optional().describe('`sandboxed` makes its environments under gVisor even where their machine type and template do not ask for it'),
});
export const UpdateWarmPoolBodySchema = z.strictObject({ size: z.number().int().min(0).max(MAX_POOL_SIZE) });
export const WarmPoolListSchema = z.object({ items: z.array(WarmPoolSchema) });

export type WarmPool = z.infer<typeof WarmPoolSchema>;
export type CreateWarmPoolBody = z.infer<typeof CreateWarmPoolBodySchema>;
export type UpdateWarmPoolBody = z.infer<typeof UpdateWarmPoolBodySchema>;
