import type { Store, TokenEmbeddings } from '@tessera/core';
import { checkManifest, manifestFor, searchStore } from '@tessera/core/store';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';
import type { ServedModel } from '../options.js';
import type { Service } from '../service.js';

/** An index the server searches, with the served model its documents were encoded with. */
export interface ServedIndex {
  name: string;
  store: Store;
  model: ServedModel;
}

/**
 * Pairs each index with the served model that built it (its manifest's fingerprint), so a query
 * is encoded as its documents were; an index no served model built is refused at startup.
 */
export async function servedIndexes(indexes: Record<string, Store>, models: ServedModel[]): Promise<ServedIndex[]> {
  const out: ServedIndex[] = [];
  for (const [name, store] of Object.entries(indexes)) {
    const manifest = await store.readManifest();
    if (!manifest)
      throw new Error(`index "${name}" (${store.location}) is not a Tessera index: build it with tessera index`);
    const wanted = await Promise.all(
      models.filter((m) => m.tessera.kind === 'colbert').map(async (m) => ({ m, want: await manifestFor(m.tessera) })),
    );
    const match = wanted.find(
      ({ want }) => want.modelFingerprint === manifest.modelFingerprint && want.dimension === manifest.dimension,
    );
    if (!match) {
      // checkManifest's message names both models (the index's and the first served one).
      if (wanted[0]) checkManifest(store, manifest, wanted[0].want);
      throw new Error(`index "${name}" (${store.location}) was built with ${manifest.model}, which is not served`);
    }
    out.push({ name, store, model: match.m });
  }
  return out;
}

interface Body {
  index: string;
  query: string;
  top_k?: number;
  exact?: boolean;
  where?: string;
}

const schema = {
  body: {
    type: 'object',
    required: ['index', 'query'],
    properties: {
      index: { type: 'string' },
      query: { type: 'string' },
      top_k: { type: 'integer', minimum: 1, maximum: 1000 },
      exact: { type: 'boolean' },
      where: { type: 'string', minLength: 1, maxLength: 4096 },
    },
  },
};

/** POST /v1/search: a query's best documents of a named index (the compressed index while fresh, else exact). */
export function searchRoutes(app: FastifyInstance, service: Service, indexes: ServedIndex[]): void {
  app.post<{ Body: Body }>('/v1/search', { schema }, async (req, reply) => {
    const b = req.body;
    const index = indexes.find((i) => i.name === b.index);
    if (!index)
      throw new HttpError(
        404,
        'not_found',
        `no index "${b.index}" (this server searches ${indexes.map((i) => `"${i.name}"`).join(', ') || 'no index'})`,
        'index',
      );
    const started = performance.now();
    const out = await service.encode<TokenEmbeddings>(req, reply, {
      model: index.model.name,
      inputs: [b.query],
      kind: 'query',
      field: 'query',
    });
    const report = await searchStore(index.store, out.results[0]!, {
      topK: b.top_k ?? 10,
      exact: b.exact ?? false,
      ...(b.where !== undefined ? { where: b.where } : {}),
    });
    return {
      index: index.name,
      model: index.model.name,
      results: report.results.map((r, i) => ({ rank: i + 1, ...r })),
      path: report.path,
      took_ms: Math.round((performance.now() - started) * 100) / 100,
      ...(report.note ? { note: report.note } : {}),
    };
  });
}
