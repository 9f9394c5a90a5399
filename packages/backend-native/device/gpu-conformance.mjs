// Core's conformance suite under node:test (no vitest on the GPU machine), on TESSERA_DEVICE, every fixture.
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineConformanceSuite } from '@tessera/core/conformance/suite';
import { backend } from '@tessera/backend-native';

const { fixtureList } = await import(
  pathToFileURL(join(process.env.TESSERA_ROOT ?? process.cwd(), 'fixtures/index.js')).href
);
defineConformanceSuite(
  { describe, it, beforeAll: before, afterAll: after },
  { backend, fixtures: fixtureList, device: process.env.TESSERA_DEVICE ?? 'cpu', createOptions: { strict: true } },
);
