import { defineConfig } from 'vitest/config';

// One runner for the whole workspace. Tests that start servers bind 127.0.0.0/8 on port 0 and
// close what they start; timeouts are generous because the CI machine has two cores and runs the
// suite twice (PGlite, then PostgreSQL).
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'bench/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'packages/dashboard/node_modules/**', 'packages/dashboard/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // Builds the dashboard when dist/ is missing or older than its sources (its browser tests serve it).
    globalSetup: ['packages/dashboard/test/global-setup.ts'],
  },
});
