import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file builds its own server on its own database, so files run in parallel safely;
    // they mostly wait on Docker, so more files than cores keeps the machine busy.
    fileParallelism: true,
    maxWorkers: 3,
  },
});
