import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files wait on child processes, DynamoDB Local and loopback servers, not on the CPU:
    // vitest's default (cores − 1, so ONE worker on a 2-core CI machine) ran them one after another.
    maxWorkers: Math.min(8, Math.max(3, availableParallelism())),
    globalSetup: ['./test/global-setup.ts'],
    // EMF metric lines on stdout are noise in tests; tests that read metrics serialize them.
    env: { POWERTOOLS_METRICS_DISABLED: 'true' },
  },
});
