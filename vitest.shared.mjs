// The packages' vitest settings: test/install (npm-installs the packed package into an empty
// project; tens of seconds of CPU a test) runs in `pnpm test:install`, and test/browser (in
// headless Chromium; minutes of CPU on a software WebGPU adapter) in `pnpm test:browser`, beside
// the suite.
export const suite = {
  testTimeout: 600_000,
  hookTimeout: 600_000,
  pool: 'forks',
  exclude: ['**/node_modules/**', 'test/install/**', 'test/browser/**'],
};

export const installTests = {
  include: ['test/install/**/*.test.ts'],
  testTimeout: 1_800_000,
  hookTimeout: 1_800_000,
  pool: 'forks',
};

export const browserTests = {
  include: ['test/browser/**/*.test.ts'],
  testTimeout: 1_800_000,
  hookTimeout: 1_800_000,
  pool: 'forks',
};
