import { sql } from 'drizzle-orm';
import { type AnyPgColumn, bigint, boolean, check, index, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { RuntimeClass } from '@berth/contracts';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
/** Required references whose row goes with what they name (a user's, an environment's, an organization's). */
const userRef = (column: string) => uuid(column).notNull().references(() => users.id, { onDelete: 'cascade' });
const environmentRef = (column: string) => uuid(column).notNull().references(() => environments.id, { onDelete: 'cascade' });
const orgRef = (column: string) => uuid(column).notNull().references(() => organizations.id, { onDelete: 'cascade' });

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull(),
    email: text('email'),
    passwordHash: text('password_hash').notNull(),
    isAdmin: boolean('is_admin').notNull().default(false),
    // The organization made for this user alone: where their sessions act unless they pick another.
    personalOrgId: uuid('personal_org_id')
      .notNull()
      .references((): AnyPgColumn => organizations.id),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // Usernames are unique whatever their letter case: "Ada" and "ada" are one person.
  (t) => [uniqueIndex('users_username_lower_key').on(sql`lower(${t.username})`)],
);

/**
 * A tenant: a company, a school, a customer, or one person (every user has a personal one).
 * Everything a user makes belongs to exactly one organization. Its lifecycle is an intent
 * (desired_state) that a reconciler converges, like an environment's.
 */
export const organizations = pgTable(
  'organizations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    // Made for one user at sign-up (or by the migration that brought organizations in).
    personal: boolean('personal').notNull().default(false),
    desiredState: text('desired_state').$type<'active' | 'suspended' | 'deleted'>().notNull().default('active'),
    status: text('status').$type<'provisioning' | 'active' | 'suspended' | 'deleting' | 'deleted' | 'error'>().notNull().default('provisioning'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    reconcileAfter: timestamp('reconcile_after', { withTimezone: true }),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // A slug names one organization that still exists, whatever its letter case.
    uniqueIndex('organizations_slug_key').on(sql`lower(${t.slug})`).where(sql`${t.status} <> 'deleted'`),
    index('organizations_due_idx').on(t.reconcileAfter).where(sql`${t.reconcileAfter} is not null`),
  ],
);

/** Who belongs to an organization, and as what. */
export const memberships = pgTable(
  'memberships',
  {
    orgId: orgRef('org_id'),
    userId: userRef('user_id'),
    role: text('role').$type<'owner' | 'admin' | 'member' | 'viewer'>().notNull(),
    // The member's own AI assistant requests per day in a shared organization; null: the organization's default.
    assistantUsesPerDay: integer('assistant_uses_per_day'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.userId] }), index('memberships_user_idx').on(t.userId)],
);

/** A group of an organization's members that environments can be shared with. */
export const teams = pgTable(
  'teams',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: orgRef('org_id'),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('teams_org_slug_key').on(t.orgId, sql`lower(${t.slug})`)],
);

export const teamMembers = pgTable(
  'team_members',
  {
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: userRef('user_id'),
    role: text('role').$type<'maintainer' | 'member'>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index('team_members_user_idx').on(t.userId)],
);

/** An invitation into an organization: for one user by name, or a single-use link (only its hash is kept). */
export const invitations = pgTable(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: orgRef('org_id'),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').unique(),
    role: text('role').$type<'admin' | 'member' | 'viewer'>().notNull(),
    invitedBy: userRef('invited_by'),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('invitations_org_idx').on(t.orgId), index('invitations_user_idx').on(t.userId)],
);

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: userRef('user_id'),
    tokenHash: text('token_hash').notNull().unique(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId)],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: userRef('user_id'),
    // The organization the token acts in: it can do there no more than its user's role allows.
    orgId: orgRef('org_id'),
    name: text('name').notNull(),
    // read < exec < admin: what the token may do at most, within its user's role.
    scope: text('scope').$type<'read' | 'exec' | 'admin'>().notNull().default('admin'),
    prefix: text('prefix').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_tokens_user_id_idx').on(t.userId)],
);

export const configFlags = pgTable('config_flags', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  description: text('description').notNull().default(''),
  secret: boolean('secret').notNull().default(false),
  updatedAt: updatedAt(),
});

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    actorId: uuid('actor_id').references(() => users.id, { onDelete: 'set null' }),
    // A snapshot, so the log still reads right after a rename or when the actor is unknown.
    actorUsername: text('actor_username'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    message: text('message').notNull().default(''),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    ip: text('ip'),
    userAgent: text('user_agent'),
    success: boolean('success').notNull(),
    // The organization the change happened in (its owners and admins read its trail); no key, the trail outlives it.
    orgId: uuid('org_id'),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_log_action_created_idx').on(t.action, t.createdAt),
    index('audit_log_org_idx').on(t.orgId, t.id).where(sql`${t.orgId} is not null`),
    index('audit_log_actor_idx').on(t.actorId, t.id),
    index('audit_log_target_idx').on(t.targetType, t.targetId, t.id),
  ],
);

export const machineTypes = pgTable('machine_types', {
  name: text('name').primaryKey(),
  vcpus: integer('vcpus').notNull(),
  memoryMb: integer('memory_mb').notNull(),
  diskGib: integer('disk_gib').notNull(),
  creditsCost: integer('credits_cost').notNull(),
  private: boolean('private').notNull().default(false),
  image: text('image'),
  // Node labels its environments need (kvm=true, gpu=true, arch=arm64): placed only on nodes that carry them all.
  nodeLabels: jsonb('node_labels').$type<Record<string, string>>().notNull().default({}),
  // 'sandboxed': its environments run under gVisor.
  runtimeClass: text('runtime_class').$type<RuntimeClass>().notNull().default('standard'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const quotas = pgTable('quotas', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  credits: integer('credits').notNull(),
  aiUsesPerDay: integer('ai_uses_per_day').notNull(),
  active: boolean('active').notNull().default(true),
  allowedTypes: text('allowed_types').array().notNull().default(sql`'{}'::text[]`),
  maxEnvironments: integer('max_environments').notNull().default(5),
  idleTimeoutMinutes: integer('idle_timeout_minutes').notNull().default(60),
  updatedAt: updatedAt(),
});

/**
 * The quota of an organization that is not a personal one (a personal
 * organization's quota is its user's). Its members draw on one credit pool,
 * each at most `member_credit_cap` of it; the instance admin sets the ceiling,
 * the organization's owners and admins choose within it.
 */
export const orgQuotas = pgTable('org_quotas', {
  orgId: uuid('org_id')
    .primaryKey()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  credits: integer('credits').notNull(),
  // null: a member may draw on the whole pool.
  memberCreditCap: integer('member_credit_cap'),
  allowedTypes: text('allowed_types').array().notNull().default(sql`'{}'::text[]`),
  maxEnvironments: integer('max_environments').notNull(),
  idleTimeoutMinutes: integer('idle_timeout_minutes').notNull().default(60),
  // AI assistant requests a member may make per UTC day, unless their membership says otherwise.
  assistantUsesPerDay: integer('assistant_uses_per_day').notNull().default(5),
  ceilingCredits: integer('ceiling_credits').notNull(),
  ceilingMaxEnvironments: integer('ceiling_max_environments').notNull(),
  ceilingAllowedTypes: text('ceiling_allowed_types').array().notNull().default(sql`'{}'::text[]`),
  updatedAt: updatedAt(),
});

/**
 * An administrator's warm pool: this many environments of one machine type (and template, or
 * image) kept built, started and owned by no one, so a create that matches claims one at once.
 */
export const warmPools = pgTable(
  'warm_pools',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    machineType: text('machine_type').notNull(),
    // No foreign key: deleting the template drains the pool (the keeper finds it gone).
    templateId: uuid('template_id'),
    // An image of the catalogue (an E2B template's, say) rather than the template's or the type's.
    image: text('image'),
    size: integer('size').notNull(),
    // What its environments run under, at least (its machine type or template may ask for more).
    runtimeClass: text('runtime_class').$type<RuntimeClass>().notNull().default('standard'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('warm_pools_target_key').on(t.machineType, sql`coalesce(${t.templateId}::text, '')`, sql`coalesce(${t.image}, '')`, t.runtimeClass)],
);

export const environments = pgTable(
  'environments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Null while the environment waits unclaimed in a warm pool (pool_id then says which).
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'cascade' }),
    orgId: uuid('org_id').references(() => organizations.id),
    name: text('name').notNull(),
    // No foreign key: deleted environments keep naming a type that may be gone.
    machineType: text('machine_type').notNull(),
    image: text('image').notNull(),
    // A snapshot of the type at creation: what the environment was sold as does not change under it.
    vcpus: integer('vcpus').notNull(),
    memoryMb: integer('memory_mb').notNull(),
    diskGib: integer('disk_gib').notNull(),
    creditsCost: integer('credits_cost').notNull(),
    desiredState: text('desired_state').$type<'running' | 'stopped' | 'deleted'>().notNull(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    // A stable code for the failure that put it in status error (image_unavailable, reconcile_failed).
    errorCode: text('error_code'),
    containerId: text('container_id'),
    eventSeq: integer('event_seq').notNull().default(0),
    // The work queue is the table itself: a row is due when reconcile_after has passed,
    // and a worker holds it exclusively while lease_until is in the future.
    reconcileAfter: timestamp('reconcile_after', { withTimezone: true }),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    // A restart is pending while this is later than started_at: level-triggered, like everything else.
    restartRequestedAt: timestamp('restart_requested_at', { withTimezone: true }),
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }),
    // Written into the workspace the first time the environment runs (then applied_at is set).
    templateId: uuid('template_id'),
    templateAppliedAt: timestamp('template_applied_at', { withTimezone: true }),
    // Which API made it: 'berth' (REST, web, CLI) or 'e2b' (the E2B-compatible API; see e2b_sandboxes).
    origin: text('origin').$type<'berth' | 'e2b'>().notNull().default('berth'),
    // What the environment may reach: 'internet' (never the host, private, link-local or metadata
    // ranges, nor other owners), 'none' (no network at all), or 'allowlist' (only egress_allow).
    egress: text('egress').$type<'internet' | 'none' | 'allowlist'>().notNull().default('internet'),
    // CIDRs an admin allows: the only destinations under 'allowlist'.
    egressAllow: text('egress_allow').array().notNull().default(sql`'{}'::text[]`),
    // The warm pool it was made for (kept after a claim, as provenance), and what it was built as there.
    poolId: uuid('pool_id'),
    poolVersion: text('pool_version'),
    // The node it was placed on (a swarm node's id, or 'local'), set the first time it is provisioned:
    // its workspace volume is there, so it stays there until an administrator moves it.
    nodeId: text('node_id'),
    // Set by an administrator's move: the node its workspace goes to (the reconciler copies it, then clears this).
    moveToNodeId: text('move_to_node_id'),
    // Its machine type's node labels at creation, as vcpus and memory are.
    nodeLabels: jsonb('node_labels').$type<Record<string, string>>().notNull().default({}),
    // How it is isolated (runc or gVisor), fixed at creation: the strongest its type, template and create asked for.
    runtimeClass: text('runtime_class').$type<RuntimeClass>().notNull().default('standard'),
  },
  (t) => [
    check('environments_owned_or_pooled', sql`(${t.ownerId} is not null and ${t.orgId} is not null) or ${t.poolId} is not null`),
    index('environments_pool_idx').on(t.poolId, t.poolVersion).where(sql`${t.ownerId} is null`),
    // Names are unique per owner among environments that still exist.
    uniqueIndex('environments_owner_name_key').on(t.ownerId, t.name).where(sql`${t.desiredState} <> 'deleted'`),
    index('environments_due_idx').on(t.reconcileAfter).where(sql`${t.reconcileAfter} is not null`),
    index('environments_owner_idx').on(t.ownerId),
    index('environments_org_idx').on(t.orgId),
  ],
);

/** A team's access to an environment of its organization: see it, or also use it (terminal, files, exec, previews). */
export const environmentShares = pgTable(
  'environment_shares',
  {
    environmentId: environmentRef('environment_id'),
    teamId: uuid('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    level: text('level').$type<'view' | 'use'>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.teamId] }), index('environment_shares_team_idx').on(t.teamId)],
);

export const environmentEvents = pgTable(
  'environment_events',
  {
    environmentId: environmentRef('environment_id'),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    status: text('status'),
    message: text('message').notNull().default(''),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.seq] })],
);

/**
 * Sign-in attempts per key ("user:<name>", "ip:<address>") in a fixed window.
 * An attempt is counted atomically before the password is checked, so parallel
 * guesses cannot all slip in under the limit.
 */
export const loginAttempts = pgTable('login_attempts', {
  key: text('key').primaryKey(),
  count: integer('count').notNull(),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull(),
});

/** One row: this installation's id, which labels every runtime object it creates. */
export const installation = pgTable('installation', {
  id: uuid('id').primaryKey().defaultRandom(),
  // Keys secrets Berth derives instead of storing (E2B sandbox access tokens); set at first boot.
  secret: text('secret'),
  createdAt: createdAt(),
});

/** The E2B side of an environment created through the E2B-compatible API. */
export const e2bSandboxes = pgTable(
  'e2b_sandboxes',
  {
    environmentId: uuid('environment_id')
      .primaryKey()
      .references(() => environments.id, { onDelete: 'cascade' }),
    templateId: text('template_id').notNull(),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default({}),
    // Inherited by every process started in the sandbox (a command's own envs win).
    envVars: jsonb('env_vars').$type<Record<string, string>>().notNull().default({}),
    // E2B's timeout: the sandbox is killed when this passes.
    endAt: timestamp('end_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('e2b_sandboxes_end_at_idx').on(t.endAt)],
);

export interface TemplateFile {
  path: string;
  content: string;
  mode: string;
}

export const templates = pgTable(
  'templates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    public: boolean('public').notNull().default(false),
    // Null for the templates Berth seeds.
    ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'cascade' }),
    // The organization a private template belongs to; null for the templates Berth seeds.
    orgId: uuid('org_id').references(() => organizations.id, { onDelete: 'cascade' }),
    files: jsonb('files').$type<TemplateFile[]>().notNull().default([]),
    // Environments of a template with a Dockerfile run the image built from it.
    dockerfile: text('dockerfile'),
    startCommand: text('start_command'),
    // Labels its environments' node must carry, on top of their machine type's.
    nodeLabels: jsonb('node_labels').$type<Record<string, string>>().notNull().default({}),
    // 'sandboxed': its environments run under gVisor whatever their machine type.
    runtimeClass: text('runtime_class').$type<RuntimeClass>().notNull().default('standard'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('templates_slug_key').on(t.slug)],
);

/** Who may open a port's preview: its owner (and admins), any signed-in user, or anyone. */
export const environmentPorts = pgTable(
  'environment_ports',
  {
    environmentId: environmentRef('environment_id'),
    port: integer('port').notNull(),
    sharing: text('sharing').$type<'owner' | 'authenticated' | 'public'>().notNull().default('owner'),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.port] })],
);

/**
 * Short-lived, single-use grants to open one port of one environment on the preview origin.
 * Minted on Berth's origin for a signed-in user, exchanged once on the preview host for a
 * cookie of that host alone; only the hash is kept.
 */
export const previewGrants = pgTable(
  'preview_grants',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: userRef('user_id'),
    environmentId: environmentRef('environment_id'),
    port: integer('port').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('preview_grants_expires_idx').on(t.expiresAt)],
);

/** A conversation with the AI assistant: one user's, about one environment. */
export const assistantConversations = pgTable(
  'assistant_conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: userRef('user_id'),
    environmentId: environmentRef('environment_id'),
    title: text('title').notNull().default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('assistant_conversations_owner_idx').on(t.userId, t.environmentId, t.updatedAt)],
);

/** The messages of a conversation in order, as the provider is sent them again (tool calls and results included). */
export const assistantMessages = pgTable(
  'assistant_messages',
  {
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => assistantConversations.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    role: text('role').$type<'user' | 'assistant' | 'tool'>().notNull(),
    content: jsonb('content').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.seq] })],
);

/**
 * One row per assistant turn: what the daily limit counts and what usage and cost
 * reports add up. No foreign keys: the log outlives the environment (deleting it
 * must not give a user their requests back) and reports keep deleted users' cost.
 */
export const assistantUsage = pgTable(
  'assistant_usage',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').notNull(),
    orgId: uuid('org_id').notNull(),
    environmentId: uuid('environment_id').notNull(),
    model: text('model').notNull(),
    promptTokens: integer('prompt_tokens').notNull().default(0),
    completionTokens: integer('completion_tokens').notNull().default(0),
    // US dollars per 1,000 tokens when the turn ran, and what it cost at those prices.
    inputPrice: numeric('input_price').notNull(),
    outputPrice: numeric('output_price').notNull(),
    costUsd: numeric('cost_usd').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('assistant_usage_user_idx').on(t.orgId, t.userId, t.createdAt), index('assistant_usage_created_idx').on(t.createdAt)],
);

/** Where an app's code comes from: a branch of a git repository, or a folder of one of its org's environments. */
export type AppSource = { kind: 'git'; url: string; branch: string } | { kind: 'workspace'; environmentId: string; path: string };

/** What runs around a deploy: before traffic moves (it must succeed) and after (it is reported). */
export interface AppHooks {
  preDeploy?: { command?: string; url?: string };
  postDeploy?: { command?: string; url?: string };
}

/** An app's config as a release holds it: each variable's value, a secret's sealed (AES-256-GCM), never its plaintext. */
export type SealedConfig = Record<string, { value: string; secret: boolean }>;

/**
 * An app: code deployed from git or a workspace, run as replicas behind its own host
 * (`<host>.<apps domain>`). Like an environment, its lifecycle is an intent the apps
 * reconciler converges (the table is its work queue); its releases say what runs.
 */
export const apps = pgTable(
  'apps',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: orgRef('org_id'),
    name: text('name').notNull(),
    // Its label under the apps domain, `<name>-<org slug>`, taken when the app is made.
    host: text('host').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    source: jsonb('source').$type<AppSource>().notNull(),
    // A private repository's credentials, sealed (keyring.ts): never in `source`, never shown.
    gitCredentials: text('git_credentials'),
    // No foreign key: the type may be deleted; replicas keep running as they are.
    machineType: text('machine_type').notNull(),
    replicas: integer('replicas').notNull().default(1),
    // What one replica draws on its organization's credits, as its machine type cost when the app was made.
    creditsCost: integer('credits_cost').notNull().default(0),
    // The port the app listens on ($PORT inside), and what says it is healthy (an HTTP path, else the port accepting).
    port: integer('port').notNull().default(3000),
    healthPath: text('health_path'),
    // Run once per release, in a container of the new image, before traffic moves to it (migrations).
    releaseCommand: text('release_command'),
    hooks: jsonb('hooks').$type<AppHooks>().notNull().default({}),
    // The push webhook's HMAC key, sealed (keyring.ts): Berth must read it back to check signatures.
    webhookSecret: text('webhook_secret'),
    currentReleaseId: uuid('current_release_id'),
    desiredState: text('desired_state').$type<'running' | 'deleted'>().notNull().default('running'),
    status: text('status').$type<'idle' | 'deploying' | 'running' | 'suspended' | 'failed' | 'deleting' | 'deleted'>().notNull().default('idle'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    releaseSeq: integer('release_seq').notNull().default(0),
    eventSeq: integer('event_seq').notNull().default(0),
    reconcileAfter: timestamp('reconcile_after', { withTimezone: true }),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('apps_org_name_key').on(t.orgId, sql`lower(${t.name})`).where(sql`${t.desiredState} <> 'deleted'`),
    uniqueIndex('apps_host_key').on(t.host).where(sql`${t.desiredState} <> 'deleted'`),
    index('apps_due_idx').on(t.reconcileAfter).where(sql`${t.reconcileAfter} is not null`),
  ],
);

/** A host of an organization's own that serves an app besides its `<name>-<org>` one (an org admin adds it). */
export const appDomains = pgTable(
  'app_domains',
  {
    // Lower-case, no port: one app at a time per host, across every organization.
    host: text('host').primaryKey(),
    appId: uuid('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [index('app_domains_app_idx').on(t.appId)],
);

/** One numbered, immutable release of an app: an image and a config snapshot (a build, a rollback or a config change). */
export const appReleases = pgTable(
  'app_releases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    appId: uuid('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    kind: text('kind').$type<'build' | 'rollback' | 'config'>().notNull(),
    status: text('status').$type<'pending' | 'building' | 'releasing' | 'starting' | 'live' | 'superseded' | 'failed'>().notNull().default('pending'),
    image: text('image'),
    // The commit built (git), and a one-line summary of how (Dockerfile, Node, Python, static).
    sourceRef: text('source_ref'),
    buildSummary: text('build_summary'),
    config: jsonb('config').$type<SealedConfig>().notNull().default({}),
    releaseCommand: text('release_command'),
    // The release this one rolls back to (its image and config), for rollbacks.
    rollbackOf: integer('rollback_of'),
    error: text('error'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    liveAt: timestamp('live_at', { withTimezone: true }),
    // When traffic left it: its replicas serve what they hold for the drain period, then go.
    supersededAt: timestamp('superseded_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('app_releases_number_key').on(t.appId, t.number)],
);

/** An app's config variables now (a release keeps its own snapshot); a secret's value is sealed. */
export const appConfigVars = pgTable(
  'app_config_vars',
  {
    appId: uuid('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    value: text('value').notNull(),
    secret: boolean('secret').notNull().default(false),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.appId, t.name] })],
);

/** What happened to an app, in order: build output, release steps, switches, rollbacks. */
export const appEvents = pgTable(
  'app_events',
  {
    appId: uuid('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    releaseNumber: integer('release_number'),
    type: text('type').$type<'build' | 'release' | 'deploy' | 'status'>().notNull(),
    message: text('message').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.appId, t.seq] })],
);

/**
 * An app's managed PostgreSQL: its own container and volume on the app's network, made and
 * removed by the apps reconciler; the app reads DATABASE_URL (a secret config variable).
 */
export const appDatabases = pgTable('app_databases', {
  appId: uuid('app_id')
    .primaryKey()
    .references(() => apps.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  username: text('username').notNull(),
  // Sealed (keyring.ts): Berth hands it to the app and to its own backups.
  password: text('password').notNull(),
  desiredState: text('desired_state').$type<'present' | 'deleted'>().notNull().default('present'),
  status: text('status').$type<'provisioning' | 'available' | 'deleting' | 'error'>().notNull().default('provisioning'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});
