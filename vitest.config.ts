import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['./test/global-setup.ts'],
    // EMF metric lines on stdout are noise in tests; tests that read metrics serialize them.
    env: { POWERTOOLS_METRICS_DISABLED: 'true' },
  },
});
