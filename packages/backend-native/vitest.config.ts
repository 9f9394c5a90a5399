import { defineConfig } from 'vitest/config';

// test/from-source compiles the addon at install time (minutes): `pnpm test:install` runs it.
export default defineConfig({
  test: {
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    exclude: ['**/node_modules/**', 'test/from-source/**'],
  },
});
