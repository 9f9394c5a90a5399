// Core's conformance suite under node:test (no vitest on the GPU machine), on TESSERA_DEVICE.
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { defineConformanceSuite } from '@tessera/core/conformance/suite';
import { backend } from '@tessera/backend-native';

const f = process.env.TESSERA_FIXTURES;
const fixtures = { stanford: join(f, 'colbert-stanford'), pylate: join(f, 'colbert-pylate'), dense: join(f, 'dense-st'), distilbert: join(f, 'colbert-distilbert'), roberta: join(f, 'colbert-roberta') };
defineConformanceSuite({ describe, it, beforeAll: before, afterAll: after }, { backend, fixtures, device: process.env.TESSERA_DEVICE ?? 'cpu', createOptions: { strict: true } });
