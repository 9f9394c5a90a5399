import { defineConfig } from 'vitest/config';
import { browserTests } from '../../vitest.shared.mjs';

export default defineConfig({ test: browserTests });
