/**
 * Every TanStack Query key of the web app, in one place. A key's prefix is what
 * an invalidation names: ['environment', id] refreshes the environment and its
 * stats and ports; ['org', slug] the whole settings page; ['admin'] the console.
 */
export const queryKeys = {
  /** The signed-in user and their quota (and credits). */
  me: ['me'] as const,
  orgs: ['orgs'] as const,
  myInvitations: ['invitations', 'mine'] as const,
  machineTypes: ['machine-types'] as const,
  tokens: ['tokens'] as const,
  templates: ['templates'] as const,
  template: (id: string | null) => ['templates', id] as const,

  environments: ['environments'] as const,
  environment: (id: string) => ['environment', id] as const,
  environmentStats: (id: string) => ['environment', id, 'stats'] as const,
  environmentPorts: (id: string) => ['environment', id, 'ports'] as const,
  /** A workspace's listings; with `dir`, one folder's. */
  files: (envId: string, dir?: string) => (dir === undefined ? (['files', envId] as const) : (['files', envId, dir] as const)),
  shares: (envId: string) => ['shares', envId] as const,

  org: {
    all: (slug: string) => ['org', slug] as const,
    self: (slug: string) => ['org', slug, 'self'] as const,
    members: (slug: string) => ['org', slug, 'members'] as const,
    invitations: (slug: string) => ['org', slug, 'invitations'] as const,
    teams: (slug: string) => ['org', slug, 'teams'] as const,
    quota: (slug: string) => ['org', slug, 'quota'] as const,
    audit: (slug: string) => ['org', slug, 'audit'] as const,
    assistantUsage: (slug: string) => ['org', slug, 'assistant-usage'] as const,
  },

  admin: {
    users: ['admin', 'users'] as const,
    quota: (userId: string) => ['admin', 'quota', userId] as const,
    config: ['admin', 'config'] as const,
    audit: ['admin', 'audit'] as const,
    environments: ['admin', 'environments'] as const,
    pools: ['admin', 'pools'] as const,
    nodes: ['admin', 'nodes'] as const,
    assistantUsage: ['admin', 'assistant-usage'] as const,
  },

  /** The acting organization's apps; ['app', id] is everything of one app (its releases, events, logs, config, database). */
  apps: ['apps'] as const,
  app: {
    all: (id: string) => ['app', id] as const,
    self: (id: string) => ['app', id, 'self'] as const,
    releases: (id: string) => ['app', id, 'releases'] as const,
    events: (id: string) => ['app', id, 'events'] as const,
    logs: (id: string) => ['app', id, 'logs'] as const,
    config: (id: string) => ['app', id, 'config'] as const,
    database: (id: string) => ['app', id, 'database'] as const,
    /** What the edge carried for it in the last hour, and its restarts. */
    metrics: (id: string) => ['app', id, 'metrics'] as const,
  },
};
