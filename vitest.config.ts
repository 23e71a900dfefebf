import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Type tests (expectTypeOf, @ts-expect-error) of the public surface: compiled by tsc, never run.
    typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'], tsconfig: 'test/types/tsconfig.json' },
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Files run one at a time: Docker tests count the engine's labelled containers before and after,
    // which another file's runners would disturb. The whole suite takes well under a minute.
    fileParallelism: false,
    reporters: ['default'],
  },
});
