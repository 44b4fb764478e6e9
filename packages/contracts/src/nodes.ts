import { z } from 'zod';

/** A label a node carries, that machine types and templates can require (`kvm=true`, `gpu=true`, `arch=arm64`). */
export const NodeLabelKeySchema = z.string().regex(/^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits, ".", "_", "/" and "-", 1 to 63 characters');
export const NodeLabelValueSchema = z.string().max(128).regex(/^[^\s]*$/, 'no spaces');
/** Labels an environment's node must carry (a machine type's, a template's): at most 16. */
export const RequiredNodeLabelsSchema = z.record(NodeLabelKeySchema, NodeLabelValueSchema).refine((l) => Object.keys(l).length <= 16, 'at most 16 labels');

export const NodeAvailabilitySchema = z.enum(['active', 'pause', 'drain']).describe('active: takes new work; pause: keeps what it runs, takes nothing new; drain: takes nothing new, and what it runs moves away');

/**
 * How an environment's processes are isolated from the machine: `standard` runs them in a container
 * on the host's kernel (runc); `sandboxed` under gVisor (runsc), a kernel of its own in user space
 * between them and the host's. An environment runs under the strongest class its machine type, its
 * template or its create asks for.
 */
export const RUNTIME_CLASSES = ['standard', 'sandboxed'] as const;
export const RuntimeClassSchema = z.enum(RUNTIME_CLASSES);
export type RuntimeClass = z.infer<typeof RuntimeClassSchema>;

export const NodeSchema = z
  .object({
    id: z.string().describe("The engine's node id (Swarm's), or `local` for a lone engine"),
    name: z.string().describe('Its host name'),
    role: z.enum(['manager', 'worker', 'standalone']).describe('Its Swarm role; standalone: the one engine Berth drives, in no swarm'),
    state: z.enum(['ready', 'down', 'unknown', 'disconnected']).describe('Whether the swarm hears from it (a lone engine is ready while it answers)'),
    availability: NodeAvailabilitySchema,
    address: z.string().nullable().describe('Its address in the swarm'),
    labels: z.record(z.string(), z.string()).describe("Labels an administrator gave it (the swarm's node labels)"),
    resources: z.object({ vcpus: z.number(), memoryMb: z.number().int() }).describe('What it has'),
    engineVersion: z.string().nullable(),
    engine: z.string().nullable().describe("How Berth reaches its engine to run environments there: `manager` (the engine Berth drives), the `tcp://` address of its `berth.engine` label (TLS), or null: nothing is placed there"),
    runtimeClasses: z.array(RuntimeClassSchema).describe('The runtime classes its engine offers (`sandboxed` where gVisor is registered with it); empty when its engine could not be asked'),
    usage: z
      .object({ environments: z.number().int(), vcpus: z.number(), memoryMb: z.number().int() })
      .describe('What the environments meant to run there reserve (their machine types)'),
  })
  .meta({ id: 'Node' });

export const NodeListSchema = z.object({
  swarm: z.boolean().describe('Whether the engine Berth drives manages a swarm (otherwise the list is that one engine)'),
  items: z.array(NodeSchema),
});

export const NodeParamsSchema = z.strictObject({ id: z.string().regex(/^[a-z0-9]{1,64}$/, 'a node id') });


export const UpdateNodeBodySchema = z
  .strictObject({
    availability: NodeAvailabilitySchema.optional(),
    labels: z.record(NodeLabelKeySchema, NodeLabelValueSchema).refine((l) => Object.keys(l).length <= 32, 'at most 32 labels').optional().describe('Replaces its labels'),
  })
  .refine((b) => b.availability !== undefined || b.labels !== undefined, 'say what to change: availability or labels');

export const NodeIdSchema = z.string().regex(/^[a-z0-9]{1,64}$/, 'a node id');

export const MoveEnvironmentBodySchema = z.strictObject({
  nodeId: NodeIdSchema.describe('The node to move it to: ready, active, reachable, and carrying the labels its machine type needs'),
});

export type Node = z.infer<typeof NodeSchema>;
export type MoveEnvironmentBody = z.infer<typeof MoveEnvironmentBodySchema>;
export type NodeList = z.infer<typeof NodeListSchema>;
export type UpdateNodeBody = z.infer<typeof UpdateNodeBodySchema>;
