import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/setup/moto.ts', 'test/setup/preload.ts'],
    // The AWS rules moto skips, on every SDK client of the package, in-process and in child processes.
    setupFiles: ['test/setup/aws-rules.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration and e2e tests share one moto server; they isolate themselves by unique proxy names.
    pool: 'forks',
    // The SDK's notice that its 2027 releases will need Node 22: true, known, and noise in test output.
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // The account cache (src/aws/account.ts) of this run, never the user's ~/.cache.
      WEBHOOK_PROXY_CACHE_DIR: join(tmpdir(), `webhook-proxy-test-cache-${process.pid}`),
      // A safety net: a local store a test forgot to place lands here, never in ~/.local/share.
      // The harnesses (test/helpers/data-dir.ts) give every dev its own directory below tmpdir.
      WEBHOOK_PROXY_DATA_DIR: join(tmpdir(), `webhook-proxy-test-data-${process.pid}`),
    },
  },
});
