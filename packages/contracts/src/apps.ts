import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.js';
import { MachineTypeNameSchema } from './machine-types.js';

/** At most this many replicas of one app: each is a container on this machine. */
export const MAX_APP_REPLICAS = 10;

/** A DNS label's shape, so `<name>-<org>.<apps domain>` is a host name: a letter first, then letters, digits, "-". */
export const AppNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,29}[a-z0-9]$|^[a-z]$/, 'lower-case letters, digits and "-", starting with a letter, at most 31 characters')
  .describe('Its name in the organization, and the first part of its host');

/** Names of config variables: what a shell accepts. */
export const ConfigNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'letters, digits and "_", not starting with a digit');

const GitUrlSchema = z
  .string()
  .max(2048)
  .regex(/^(https?|ssh|git|file):\/\/[^\s]+$|^[\w.-]+@[\w.-]+:[^\s]+$/, 'an https://, ssh://, git:// (or, where an administrator allows it, file://) URL, or user@host:path')
  // A password in the URL would be shown to every reader of the app: credentials go in `credentials`.
  .refine((url) => !/^[a-z]+:\/\/[^/@\s]*:[^/@\s]*@/i.test(url), 'no password in the URL: give it as credentials (kept encrypted)');

/** How Berth signs in to a private repository: a user and password or token (HTTPS), or a private key (SSH). */
export const GitCredentialsSchema = z.union([
  z.strictObject({ username: z.string().min(1).max(256).default('git'), password: z.string().min(1).max(8192).describe('A password or an access token') }),
  z.strictObject({ sshKey: z.string().min(1).max(16_384).describe('A private key (OpenSSH or PEM), without a passphrase') }),
]);

const WorkspaceSourceSchema = z.strictObject({
  kind: z.literal('workspace'),
  environmentId: IdSchema,
  path: z.string().min(1).max(1024).default('/workspace/app').describe('The folder in the environment to deploy as it is now'),
});

export const AppSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('git'),
    url: GitUrlSchema,
    branch: z.string().regex(/^[\w./-]{1,200}$/, 'a branch name').default('main'),
    credentials: GitCredentialsSchema.optional().describe('For a private repository: kept encrypted, never shown again'),
  }),
  WorkspaceSourceSchema,
]);

/** A source as Berth shows it: whether it has credentials, never what they are. */
export const AppSourceViewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('git'), url: z.string(), branch: z.string(), credentials: z.boolean() }),
  WorkspaceSourceSchema,
]);

const HookSchema = z
  .strictObject({
    command: z.string().min(1).max(4096).optional().describe('Run in a container of the new release, with its config'),
    url: z.url({ protocol: /^https?$/ }).max(2048).optional().describe('POSTed a JSON note of the deploy'),
  })
  .refine((h) => h.command !== undefined || h.url !== undefined, 'a command, a url or both');

export const AppHooksSchema = z
  .strictObject({
    preDeploy: HookSchema.optional().describe('Once the new release is healthy and before traffic moves to it: a failure (non-zero exit, non-2xx answer) fails the release'),
    postDeploy: HookSchema.optional().describe('Once traffic moved: a failure is reported in the events, the release stays'),
  })
  .describe("Hooks around each deploy (a URL on Berth's own machine or network only where an administrator allows local targets)");

/** `suspended`: its organization is, and so nothing of it runs until it is reactivated. */
export const APP_STATUSES = ['idle', 'deploying', 'running', 'suspended', 'failed', 'deleting', 'deleted'] as const;
export const RELEASE_STATUSES = ['pending', 'building', 'releasing', 'starting', 'live', 'superseded', 'failed'] as const;

export const AppSchema = z
  .object({
    id: IdSchema,
    orgId: IdSchema,
    name: AppNameSchema,
    url: z.string().describe('Where it answers: `<name>-<org>.<apps domain>`'),
    source: AppSourceViewSchema,
    machineType: z.string(),
    replicas: z.number().int(),
    port: z.number().int().describe('The port it listens on; $PORT inside'),
    healthPath: z.string().nullable().describe('An HTTP path answering 2xx or 3xx when healthy; null: the port accepting connections'),
    releaseCommand: z.string().nullable().describe('Run once per release before traffic moves to it (migrations); a Procfile `release:` line when null'),
    hooks: AppHooksSchema,
    status: z.enum(APP_STATUSES),
    currentRelease: z.number().int().nullable().describe('The number of the release serving traffic'),
    lastError: z.string().nullable(),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
  })
  .meta({ id: 'App' });

export const CreateAppBodySchema = z.strictObject({
  name: AppNameSchema,
  source: AppSourceSchema,
  machineType: MachineTypeNameSchema.default('small'),
  replicas: z.number().int().min(1).max(MAX_APP_REPLICAS).default(1),
  port: z.number().int().min(1).max(65_535).default(3000),
  healthPath: z.string().regex(/^\/[^\s]*$/, 'a path starting with "/"').max(1024).nullable().default(null),
  releaseCommand: z.string().min(1).max(4096).nullable().default(null),
  hooks: AppHooksSchema.default({}),
});

export const UpdateAppBodySchema = z
  .strictObject({
    source: AppSourceSchema,
    replicas: z.number().int().min(1).max(MAX_APP_REPLICAS),
    port: z.number().int().min(1).max(65_535),
    healthPath: z.string().regex(/^\/[^\s]*$/, 'a path starting with "/"').max(1024).nullable(),
    releaseCommand: z.string().min(1).max(4096).nullable(),
    hooks: AppHooksSchema,
  })
  .partial();

export const ReleaseSchema = z
  .object({
    number: z.number().int(),
    kind: z.enum(['build', 'rollback', 'config']),
    status: z.enum(RELEASE_STATUSES),
    sourceRef: z.string().nullable().describe('The commit built'),
    buildSummary: z.string().nullable(),
    rollbackOf: z.number().int().nullable(),
    error: z.string().nullable(),
    createdAt: TimestampSchema,
    liveAt: TimestampSchema.nullable(),
  })
  .meta({ id: 'Release' });

export const ReleaseListSchema = z.object({ items: z.array(ReleaseSchema) });
export const AppListSchema = z.object({ items: z.array(AppSchema) });
export const RollbackBodySchema = z.strictObject({ release: z.number().int().min(1).describe('The release to go back to: its image and config become a new release') });

export const ConfigVarSchema = z.object({ name: z.string(), value: z.string().describe('A secret\'s is masked'), secret: z.boolean() });
export const ConfigVarListSchema = z.object({ items: z.array(ConfigVarSchema) });
export const SetConfigBodySchema = z.strictObject({
  set: z.record(ConfigNameSchema, z.strictObject({ value: z.string().max(32 * 1024), secret: z.boolean().default(false) })).default({}),
  unset: z.array(ConfigNameSchema).max(100).default([]),
});

export const AppEventSchema = z.object({
  seq: z.number().int(),
  release: z.number().int().nullable(),
  type: z.enum(['build', 'release', 'deploy', 'status']),
  message: z.string(),
  createdAt: TimestampSchema,
});
export const AppEventsQuerySchema = z.strictObject({ since: z.coerce.number().int().min(0).default(0) });
export const AppEventListSchema = z.object({ items: z.array(AppEventSchema) });

export type App = z.infer<typeof AppSchema>;
export type AppSource = z.infer<typeof AppSourceSchema>;
export type CreateAppBody = z.infer<typeof CreateAppBodySchema>;
export type UpdateAppBody = z.infer<typeof UpdateAppBodySchema>;
export type Release = z.infer<typeof ReleaseSchema>;
export type ConfigVar = z.infer<typeof ConfigVarSchema>;
export type SetConfigBody = z.infer<typeof SetConfigBodySchema>;
export type AppEvent = z.infer<typeof AppEventSchema>;

export const EdgeAskQuerySchema = z.strictObject({ domain: z.string().min(1).max(253) });

export const WebhookSchema = z
  .object({
    url: z.string().describe('Where the git host posts push events (GitHub, Gitea and Forgejo send X-Hub-Signature-256)'),
    secret: z.string().describe('The HMAC-SHA256 key to give the git host: shown this once'),
  })
  .meta({ id: 'AppWebhook' });

/** The part of a push event Berth reads: which branch moved, and to what. */
export const PushEventSchema = z.object({ ref: z.string().max(1024), after: z.string().max(64).optional() });
/** The header a push carries its body's HMAC-SHA256 in: `sha256=<hex>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-hub-signature-256';

export const AppLogsQuerySchema = z.strictObject({ tail: z.coerce.number().int().min(1).max(5000).default(200) });
export const AppLogsSchema = z.object({
  items: z.array(z.object({ replica: z.number().int(), release: z.number().int(), state: z.string(), restarts: z.number().int(), output: z.string().describe('Its last `tail` lines, stdout and stderr') })),
});
export type AppLogs = z.infer<typeof AppLogsSchema>;

export const AppDatabaseSchema = z
  .object({
    engine: z.literal('postgresql'),
    version: z.string(),
    status: z.enum(['provisioning', 'available', 'deleting', 'error']),
    name: z.string().describe('The database; the app reads its URL in DATABASE_URL (a secret config variable)'),
    username: z.string(),
    createdAt: TimestampSchema,
  })
  .meta({ id: 'AppDatabase' });
export const RemoveDatabaseQuerySchema = z.strictObject({ confirm: z.string().describe("The app's name: deleting a database deletes its data") });
export type AppDatabase = z.infer<typeof AppDatabaseSchema>;

/** A DNS name of two labels or more, lower-case, no port: a host an organization points at Berth. */
export const DomainHostSchema = z
  .string()
  .max(253)
  .transform((h) => h.toLowerCase())
  .pipe(z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a host name such as shop.example.com (no scheme, no port)'));
export const AppDomainSchema = z.object({ host: z.string(), createdAt: TimestampSchema }).meta({ id: 'AppDomain' });
export const AppDomainListSchema = z.object({ items: z.array(AppDomainSchema) });
export const AddDomainBodySchema = z.strictObject({ host: DomainHostSchema });
export const DomainParamsSchema = z.strictObject({ id: IdSchema, host: DomainHostSchema });
export type AppDomain = z.infer<typeof AppDomainSchema>;

export const AppMetricsSchema = z.object({
  minutes: z
    .array(z.object({ at: TimestampSchema, requests: z.number().int(), errors: z.number().int(), p50Ms: z.number().nullable(), p95Ms: z.number().nullable() }))
    .describe("What Berth's edge carried, minute by minute for the last hour (this Berth's share, with several)"),
  restarts: z.number().int().describe('Restarts after crashes of the serving release\'s replicas'),
});
export type AppMetrics = z.infer<typeof AppMetricsSchema>;
