import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/setup/moto.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration and e2e tests share one moto server; they isolate themselves by unique proxy names.
    pool: 'forks',
  },
});
