import { defineConfig } from 'vitest/config';
import { installTests } from '../../vitest.shared.mjs';

export default defineConfig({ test: installTests });
