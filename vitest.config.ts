import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The browser tests need Chromium: their own command, `npm run test:browser`.
    exclude: ['tests/browser/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Model-backed tests are CPU-bound; two workers match the two cores these tests are sized for.
    maxWorkers: 2,
  },
});
