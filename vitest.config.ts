import { defineConfig } from 'vitest/config';

/**
 * The unit tests: in one process, no child process and no database, the fixed-vector embedder where the real model is
 * not the point (`npm run test:unit`, well under 30 s). Everything else is a system test: the CLI, servers and builds
 * as processes, PGlite, a real PostgreSQL and Citus when given, worker threads with deadlines (`npm run test:system`).
 */
const UNIT = [
  'tests/config.test.ts',
  'tests/layout.test.ts',
  'tests/evaluation/questions.test.ts',
  'tests/http/app.test.ts',
  'tests/http/fuzz.test.ts',
  'tests/http/metrics.test.ts',
  'tests/http/openapi.test.ts',
  'tests/http/pages.test.ts',
  'tests/index/build.test.ts',
  'tests/index/keywords.test.ts',
  'tests/ingest/chunking.test.ts',
  'tests/ingest/formats.test.ts',
  'tests/ingest/furniture.test.ts',
  'tests/ingest/linear.test.ts',
  'tests/ingest/markup.test.ts',
  'tests/ingest/reading.test.ts',
  'tests/ingest/reread.test.ts',
  'tests/live/watcher.test.ts',
  'tests/mcp/server.test.ts',
  'tests/mcp/text.test.ts',
  'tests/search/*.test.ts',
];

// Model-backed tests are CPU-bound; two workers match the two cores these tests are sized for.
const shared = { testTimeout: 120_000, hookTimeout: 180_000, maxWorkers: 2 };

export default defineConfig({
  test: {
    ...shared,
    globalSetup: ['tests/helpers/global-setup.ts'],
    setupFiles: ['tests/helpers/keep-readers.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, exclude: ['tests/search/within.test.ts'], isolate: false } },
      {
        extends: true,
        test: {
          name: 'system',
          include: ['tests/**/*.test.ts', 'tests/search/within.test.ts'],
          // The browser tests need Chromium: their own command, `npm run test:browser`.
          exclude: [...UNIT.filter((f) => !f.includes('*')), 'tests/search/!(within).test.ts', 'tests/browser/**', 'node_modules/**'],
        },
      },
    ],
  },
});
