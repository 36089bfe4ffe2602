import { defineConfig } from 'vitest/config';

// The tests Stryker runs against each mutant of the ranking, keyword and text modules: theirs, nothing else.
export default defineConfig({
  test: {
    include: ['tests/search/**/*.test.ts', 'tests/index/keywords.test.ts', 'tests/index/contract.test.ts', 'tests/ingest/formats.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
