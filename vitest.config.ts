import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 300000,
    include: ['tests/**/*.test.ts'],
  },
});
