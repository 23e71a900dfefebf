import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Files run one at a time: Docker tests count the engine's labelled containers before and after,
    // which another file's runners would disturb. The whole suite takes well under a minute.
    fileParallelism: false,
    reporters: ['default'],
  },
});
