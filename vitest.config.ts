import { defineConfig } from 'vitest/config';

// Tests sit beside the code they test. Tiers by suffix: `.test.ts` unit, `.int.test.ts` real SQLite and processes,
// `.e2e.test.ts` real nginx and clients. Workspace packages resolve to their TypeScript sources through the
// `sluice-source` export condition, so unit tests need no build.
export default defineConfig({
  resolve: { conditions: ['sluice-source'] },
  ssr: { resolve: { conditions: ['sluice-source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/*/**/*.test.ts', 'bench/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
