import { defineConfig } from 'vitest/config';

// Two files at a time: these tests mostly wait on the CLI processes they spawn, so one worker
// (vitest's default on 2 cores) left the package's files in a 6-minute line.
export default defineConfig({ test: { testTimeout: 600_000, hookTimeout: 600_000, pool: 'forks', maxWorkers: 2 } });
