import { defineConfig } from 'vitest/config';

// `npm run test:browser`: the pages in Debian's Chromium (apt-get install chromium).
export default defineConfig({
  test: {
    include: ['tests/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
