import { z } from 'zod';

/**
 * E2B's wire shapes, written from its public API description
 * (docs/e2b-protocol.md). Field names are E2B's, camelCase and snake_case
 * mixed. Request objects are not strict: newer SDKs add fields, and E2B's own
 * API ignores what it does not know.
 */
const StringMap = z.record(z.string().max(256), z.string().max(4096));

export const NewSandboxSchema = z.object({
  templateID: z.string().min(1).max(128),
  timeout: z.number().int().min(0).optional(),
  metadata: StringMap.optional(),
  envVars: StringMap.optional(),
  autoPause: z.boolean().optional(),
});
export type NewSandbox = z.infer<typeof NewSandboxSchema>;

export const ConnectSandboxSchema = z.object({ timeout: z.number().int().min(0).optional() }).optional();
export const SetTimeoutSchema = z.object({ timeout: z.number().int().min(0) });
export const SandboxParamsSchema = z.object({ sandboxID: z.string().min(1).max(128) });

export const ListSandboxesQuerySchema = z.object({
  metadata: z.string().max(8192).optional(),
  state: z.string().max(64).optional(),
  template: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  nextToken: z.string().regex(/^\d{1,9}$/, 'a token from X-Next-Token').optional(),
});

/** Process service messages (process.Process). */
const ProcessConfigSchema = z.object({
  cmd: z.string().min(1).max(4096),
  args: z.array(z.string().max(1024 * 1024)).max(10_000).default([]),
  envs: z.record(z.string().max(256), z.string().max(64 * 1024)).default({}),
  cwd: z.string().max(4096).optional(),
});
const SizeSchema = z.object({ cols: z.number().int().min(1).max(1000), rows: z.number().int().min(1).max(1000) });
const SelectorSchema = z.union([z.object({ pid: z.number().int().min(0) }), z.object({ tag: z.string().min(1).max(256) })]);
const Base64Schema = z.string().max(16 * 1024 * 1024).regex(/^[A-Za-z0-9+/_-]*=*$/, 'base64');

export const StartRequestSchema = z.object({
  process: ProcessConfigSchema,
  pty: z.object({ size: SizeSchema }).optional(),
  tag: z.string().max(256).optional(),
  stdin: z.boolean().optional(),
});
export const ConnectRequestSchema = z.object({ process: SelectorSchema });
export const SendInputRequestSchema = z.object({ process: SelectorSchema, input: z.union([z.object({ stdin: Base64Schema }), z.object({ pty: Base64Schema })]) });
export const SendSignalRequestSchema = z.object({ process: SelectorSchema, signal: z.union([z.string(), z.number()]).optional() });
export const UpdateRequestSchema = z.object({ process: SelectorSchema, pty: z.object({ size: SizeSchema }).optional() });
export const CloseStdinRequestSchema = z.object({ process: SelectorSchema });

/** Filesystem service messages (filesystem.Filesystem). */
const PathSchema = z.string().min(1).max(4096);
export const PathRequestSchema = z.object({ path: PathSchema });
export const ListDirRequestSchema = z.object({ path: PathSchema, depth: z.number().int().min(0).max(32).optional() });
export const MoveRequestSchema = z.object({ source: PathSchema, destination: PathSchema });

export const FilesQuerySchema = z.object({ path: PathSchema.optional(), username: z.string().max(64).optional() });
