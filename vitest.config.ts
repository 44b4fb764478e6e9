import { defineConfig } from 'vitest/config';

/**
 * Suites that exercise the browser, the CLI and the runtime (images and their builds, the host's
 * firewall, terminals, Jupyter kernels, Caddy) rather than the database run on the embedded one only:
 * on PostgreSQL (TEST_DATABASE_URL) they would prove nothing new and take a third of the run.
 */
const runtimeOnly = [
  'test/browser/**',
  'test/cli.test.ts',
  'test/cli-orgs.test.ts',
  'test/cli-apps.test.ts',
  'test/dev-image.test.ts',
  'test/template-images.test.ts',
  'test/egress.test.ts',
  'test/terminal.test.ts',
  'test/code-interpreter.test.ts',
  // A slow engine in front of the real one (support/engine-proxy.ts).
  'test/e2b-slow-engine.test.ts',
  'test/edge-caddy.test.ts',
  'test/apps-caddy.test.ts',
  'test/apps-readme-caddy.test.ts',
  // A swarm of real engines in network namespaces: the runtime's, not the database's.
  'test/nodes.test.ts',
  'test/engine-tls.test.ts',
  'test/cluster.test.ts',
  // Berth's own PostgreSQL in a data directory, whatever the run's database.
  'test/embedded-database.test.ts',
];

/** Every project runs its files this way. */
const files = {
  pool: 'forks',
  // A failed test prints its servers' last warnings and errors (support/recent-log.ts).
  setupFiles: 'test/support/print-log-on-failure.ts',
  // Generous: on two shared cores, a test of several steps (CLI processes, pool rebuilds) can take
  // more than half a minute; waits inside tests have deadlines of their own, and a hang still fails.
  testTimeout: 60_000,
  hookTimeout: 60_000,
  // Each file builds its own server on its own database, so files run in parallel safely;
  // they mostly wait on Docker, so more files than cores keeps the machine busy.
  fileParallelism: true,
  maxWorkers: 3,
} as const;

/**
 * Two groups, one after the other: every suite, then the sandboxed class (gVisor): test/sandboxed.test.ts
 * end to end on both databases, and (on the embedded database only: they are the runtime's, not the
 * database's) suites run again with every environment sandboxed (test/sandboxed/). gVisor's processes
 * are CPU-hungry: beside the rest on two cores, other files' waits ran out.
 */
export default defineConfig({
  test: {
    // Once for the run (a project of its own would run it again).
    globalSetup: ['test/support/global-setup.ts'],
    projects: [
      {
        test: {
          ...files,
          name: 'berth',
          include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'test/sandboxed.test.ts', 'test/sandboxed/**', ...(process.env.TEST_DATABASE_URL ? runtimeOnly : [])],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...files,
          name: 'sandboxed',
          include: ['test/sandboxed.test.ts', ...(process.env.TEST_DATABASE_URL ? [] : ['test/sandboxed/**/*.test.ts'])],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
