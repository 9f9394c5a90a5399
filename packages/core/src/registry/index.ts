import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TesseraError } from '../errors.js';

const ModelEntrySchema = z
  .object({
    id: z.string().min(1),
    repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be "org/name"'),
    revision: z.string().min(1),
    kind: z.enum(['colbert', 'dense']),
    architecture: z.enum(['bert', 'distilbert', 'roberta', 'xlm-roberta', 'modernbert']),
    hiddenSize: z.number().int().positive(),
    dimension: z.number().int().positive(),
    dimensions: z.array(z.number().int().positive()).min(1),
    queryLength: z.number().int().positive().optional(),
    documentLength: z.number().int().positive().optional(),
    queryMarker: z.string().nullable().optional(),
    documentMarker: z.string().nullable().optional(),
    pooling: z.enum(['cls', 'mean', 'max', 'lasttoken']).optional(),
    backends: z.record(z.string(), z.array(z.string().min(1))),
    license: z.string().min(1),
    verified: z.array(z.string()),
    default: z.boolean().optional(),
  })
  .strict()
  .refine((m) => m.dimensions.includes(m.dimension), { message: 'dimensions must include dimension' })
  .refine((m) => m.kind !== 'dense' || m.pooling !== undefined, { message: 'dense models need pooling' });

const RegistrySchema = z.object({ $comment: z.string().optional(), models: z.array(ModelEntrySchema) }).strict();

export type ModelEntry = z.infer<typeof ModelEntrySchema>;

/** Validates registry JSON; errors name the entry and field. */
export function parseRegistry(json: unknown, source = 'registry'): ModelEntry[] {
  const r = RegistrySchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new TesseraError('INVALID_MODEL', `${source}: ${issue.path.join('.')}: ${issue.message}`, { file: source, field: issue.path.join('.') });
  }
  const ids = new Set<string>();
  for (const m of r.data.models) {
    if (ids.has(m.id)) throw new TesseraError('INVALID_MODEL', `${source}: duplicate model id ${m.id}`, { file: source, field: m.id });
    ids.add(m.id);
  }
  return r.data.models;
}

let cached: ModelEntry[] | undefined;

/** The bundled registry, in file order. */
export function listModels(): ModelEntry[] {
  if (!cached) {
    const url = new URL('./models.json', import.meta.url);
    cached = parseRegistry(JSON.parse(readFileSync(url, 'utf8')), url.pathname);
  }
  return cached;
}

export function findModel(id: string): ModelEntry | undefined {
  return listModels().find((m) => m.id === id);
}

export function defaultModel(): ModelEntry {
  return listModels().find((m) => m.default) ?? listModels()[0]!;
}
