import { z } from 'zod';
import { TimestampSchema } from './common.js';
import { RequiredNodeLabelsSchema, RuntimeClassSchema } from './nodes.js';

export const MachineTypeNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lowercase letters, digits and "-", at most 32');
/** A Docker image reference: registry/repo[:tag][@digest], no spaces or shell characters. */
export const ImageRefSchema = z
  .string()
  .max(255)
  .regex(/^[a-z0-9][a-z0-9._\-/:@]*$/i, 'an image reference such as debian:bookworm');

export const MachineTypeSchema = z
  .object({
    name: z.string(),
    vcpus: z.number(),
    memoryMb: z.number().int(),
    diskGib: z.number().int(),
    creditsCost: z.number().int(),
    private: z.boolean(),
    image: z.string().nullable().describe('Image for environments of this type; null means the default image'),
    nodeLabels: z.record(z.string(), z.string()).describe('Node labels its environments need: they are placed only on nodes that carry them all'),
    runtimeClass: RuntimeClassSchema.describe('`sandboxed`: its environments run under gVisor; `standard`: in plain containers (unless their template or create asks for more)'),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'MachineType' });

const machineTypeFields = {
  vcpus: z.number().int().min(1).max(64),
  memoryMb: z.number().int().min(128).max(262_144),
  diskGib: z.number().int().min(1).max(2048),
  creditsCost: z.number().int().min(0).max(1000),
  private: z.boolean(),
  image: ImageRefSchema.nullable(),
  nodeLabels: RequiredNodeLabelsSchema,
  runtimeClass: RuntimeClassSchema,
};

export const CreateMachineTypeBodySchema = z.strictObject({
  name: MachineTypeNameSchema,
  ...machineTypeFields,
  private: machineTypeFields.private.optional(),
  image: machineTypeFields.image.optional(),
  nodeLabels: machineTypeFields.nodeLabels.optional(),
  runtimeClass: machineTypeFields.runtimeClass.optional(),
});
export const UpdateMachineTypeBodySchema = z.strictObject(machineTypeFields).partial();
export const MachineTypeParamsSchema = z.strictObject({ name: MachineTypeNameSchema });
export const MachineTypeListSchema = z.object({ items: z.array(MachineTypeSchema) });

export type MachineType = z.infer<typeof MachineTypeSchema>;
export type CreateMachineTypeBody = z.infer<typeof CreateMachineTypeBodySchema>;
export type UpdateMachineTypeBody = z.infer<typeof UpdateMachineTypeBodySchema>;
