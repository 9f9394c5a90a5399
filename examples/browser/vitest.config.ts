import { defineConfig } from 'vitest/config';
import { suite } from '../../vitest.shared.mjs';

export default defineConfig({ test: suite });
