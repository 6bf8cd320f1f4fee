import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Integration suites share real servers on fixed ports: two at a time keeps 2 cores honest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
