import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.js';
import { ImageRefSchema, MachineTypeNameSchema } from './machine-types.js';
import { RuntimeClassSchema } from './nodes.js';

export const DESIRED_STATES = ['running', 'stopped', 'deleted'] as const;
export const ENVIRONMENT_STATUSES = [
  'pending',
  'provisioning',
  'starting',
  'running',
  'stopping',
  'stopped',
  'deleting',
  'deleted',
  'error',
  // Its node is down or its engine does not answer: its intent is kept, and it converges when the node is back.
  'unreachable',
  // An administrator moves it to another node: its workspace is copied there, verified, then removed here.
  'moving',
] as const;

/**
 * Where an environment's traffic may go. `internet`: the internet, never the host, private,
 * link-local (metadata) or multicast ranges, nor other owners. `none`: nothing (Berth can still
 * reach its ports for previews). `allowlist`: only `egressAllow` (administrators only).
 */
export const EGRESS_MODES = ['internet', 'none', 'allowlist'] as const;
/** Most CIDRs one environment's allowlist holds (each is a firewall rule). */
export const EGRESS_ALLOW_MAX = 64;
export const EgressModeSchema = z.enum(EGRESS_MODES);
export const EgressAllowSchema = z
  .array(z.cidrv4('an IPv4 CIDR such as 10.1.2.0/24'))
  .max(EGRESS_ALLOW_MAX)
  .describe('IPv4 CIDRs an `allowlist` environment may reach (host bits are cleared)');

/** `egressAllow` belongs to `allowlist`, and an allowlist names at least one CIDR. */
const checkEgress = (v: { egress?: string; egressAllow?: string[] }, ctx: z.RefinementCtx) => {
  const allow = v.egressAllow ?? [];
  if (v.egress === 'allowlist' && allow.length === 0) ctx.addIssue({ code: 'custom', path: ['egressAllow'], message: 'an allowlist names at least one CIDR' });
  if (v.egress !== 'allowlist' && allow.length > 0) ctx.addIssue({ code: 'custom', path: ['egressAllow'], message: 'only with egress "allowlist"' });
};

export const EnvironmentNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and "-", starting with a letter or digit, at most 63');

export const EnvironmentSchema = z
  .object({
    id: IdSchema,
    name: z.string(),
    owner: z.object({ id: IdSchema, username: z.string() }),
    orgId: IdSchema.describe('The organization it belongs to'),
    type: z.string(),
    image: z.string(),
    desiredState: z.enum(DESIRED_STATES),
    status: z.enum(ENVIRONMENT_STATUSES),
    vcpus: z.number().int(),
    memoryMb: z.number().int(),
    diskGib: z.number().int(),
    creditsCost: z.number().int(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
    startedAt: TimestampSchema.nullable(),
    lastActivityAt: TimestampSchema.nullable(),
    lastError: z.string().nullable(),
    nodeId: z.string().nullable().describe('The node it runs on (`local` on a lone engine); null until it is first provisioned'),
    errorCode: z.string().nullable().describe('With status `error`, why, as a stable code: `image_unavailable` (the image could not be pulled or built), `reconcile_failed` (anything else, after retries)'),
    attempts: z.number().int(),
    origin: z.enum(['berth', 'e2b']).describe('Which API created it: Berth\'s own or the E2B-compatible one'),
    egress: EgressModeSchema,
    egressAllow: z.array(z.string()).describe('The CIDRs an `allowlist` environment may reach; empty otherwise'),
    runtimeClass: RuntimeClassSchema.describe('How its processes are isolated: `standard` (a container on the host kernel) or `sandboxed` (gVisor); fixed when it is created'),
    access: z
      .enum(['view', 'use', 'manage'])
      .describe('How far the caller may go with it: view (status, events, stats), use (also terminal, files, exec, previews), manage (also lifecycle, egress, sharing)'),
  })
  .meta({ id: 'Environment' });

export const CreateEnvironmentBodySchema = z
  .strictObject({
    type: MachineTypeNameSchema,
    name: EnvironmentNameSchema.optional(),
    image: ImageRefSchema.optional().describe('Administrators only: everyone else gets the machine type\'s image'),
    templateId: IdSchema.optional().describe('Files written into /workspace when the environment first runs'),
    egress: EgressModeSchema.optional().describe('Default `internet`; `allowlist` only for administrators'),
    egressAllow: EgressAllowSchema.optional(),
    runtimeClass: RuntimeClassSchema.optional().describe('`sandboxed` runs it under gVisor even where its machine type and template do not ask for it; never less than they ask'),
  })
  .superRefine(checkEgress);

/** Replaces an environment's egress policy; a running environment is moved onto it without a restart. */
export const EgressBodySchema = z
  .strictObject({
    egress: EgressModeSchema.describe('`internet` and `none` for the owner; `allowlist` only for administrators'),
    egressAllow: EgressAllowSchema.optional(),
  })
  .superRefine(checkEgress);

export const ListEnvironmentsQuerySchema = z.strictObject({
  all: z.enum(['true', 'false']).optional().describe('Admins: every user\'s environments'),
});

export const EnvironmentListSchema = z.object({ items: z.array(EnvironmentSchema) });

export const EnvironmentEventSchema = z
  .object({
    seq: z.number().int(),
    type: z.string().describe('status, provision, error, …'),
    status: z.enum(ENVIRONMENT_STATUSES).nullable(),
    message: z.string(),
    data: z.record(z.string(), z.unknown()),
    createdAt: TimestampSchema,
  })
  .meta({ id: 'EnvironmentEvent' });

export const EventsQuerySchema = z.strictObject({
  since: z.coerce.number().int().min(0).default(0).describe('Return events with seq greater than this'),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});
export const EventListSchema = z.object({ items: z.array(EnvironmentEventSchema) });

export const EXEC_DEFAULT_TIMEOUT_MS = 30_000;
export const EXEC_MAX_TIMEOUT_MS = 600_000;

export const ExecBodySchema = z.strictObject({
  command: z.union([z.array(z.string().max(65_536)).min(1).max(1000), z.string().min(1).max(65_536)]).describe('argv, or a string run with `bash -lc`'),
  cwd: z.string().max(4096).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).max(256), z.string().max(65_536)).optional(),
  stdin: z.string().max(1024 * 1024).optional(),
  timeoutMs: z.number().int().min(1).max(EXEC_MAX_TIMEOUT_MS).default(EXEC_DEFAULT_TIMEOUT_MS),
});

export const ExecResultSchema = z
  .object({
    exitCode: z.number().int().nullable().describe('null when the command was killed on timeout, or closed its output and still runs'),
    stdout: z.string(),
    stderr: z.string(),
    timedOut: z.boolean(),
    truncated: z.boolean().describe('Output beyond the per-stream cap was dropped'),
    durationMs: z.number().int(),
  })
  .meta({ id: 'ExecResult' });

export const EnvironmentStatsSchema = z
  .object({
    cpuPercent: z.number().describe('Share of one CPU over the last sampling interval, in percent (can exceed 100 with several vCPUs)'),
    memoryBytes: z.number().int(),
    memoryLimitBytes: z.number().int(),
    pids: z.number().int(),
    networkRxBytes: z.number().int(),
    networkTxBytes: z.number().int(),
    blockReadBytes: z.number().int(),
    blockWriteBytes: z.number().int(),
  })
  .meta({ id: 'EnvironmentStats' });

export type EnvironmentStats = z.infer<typeof EnvironmentStatsSchema>;
/** One line of a streamed exec (application/x-ndjson): output chunks as they come, then how it ended. */
export type ExecStreamLine =
  | { type: 'stdout' | 'stderr'; data: string /* base64 */ }
  | { type: 'exit'; exitCode: number | null; timedOut: boolean; durationMs: number }
  | { type: 'error'; code: string; message: string };

export type Environment = z.infer<typeof EnvironmentSchema>;
export type EnvironmentAccess = Environment['access'];
export type EnvironmentStatus = (typeof ENVIRONMENT_STATUSES)[number];
export type DesiredState = (typeof DESIRED_STATES)[number];
export type CreateEnvironmentBody = z.infer<typeof CreateEnvironmentBodySchema>;
export type EgressMode = (typeof EGRESS_MODES)[number];
export type EgressBody = z.infer<typeof EgressBodySchema>;
export type EnvironmentEvent = z.infer<typeof EnvironmentEventSchema>;
export type ExecBody = z.infer<typeof ExecBodySchema>;
export type ExecResult = z.infer<typeof ExecResultSchema>;
