import { topK, type DenseEmbedding, type TokenEmbeddings } from '@tessera/core';
import type { FastifyInstance } from 'fastify';
import { rowsOf } from '../encoding.js';
import { validation } from '../errors.js';
import type { Service } from '../service.js';

const inputs = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const list = (v: string | string[]) => (typeof v === 'string' ? [v] : v);

/** text-embeddings-inference's routes: /embed (dense), /embed_all (token vectors), /rerank (MaxSim). */
export function teiRoutes(app: FastifyInstance, service: Service): void {
  app.post<{
    Body: { inputs: string | string[]; model?: string; normalize?: boolean; dimensions?: number; truncate?: boolean };
  }>(
    '/embed',
    {
      schema: {
        body: {
          type: 'object',
          required: ['inputs'],
          properties: {
            inputs,
            model: { type: 'string' },
            normalize: { type: 'boolean' },
            dimensions: { type: 'integer', minimum: 1 },
            truncate: { type: 'boolean' },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const out = await service.encode<DenseEmbedding>(req, reply, {
        model: b.model,
        inputs: list(b.inputs),
        kind: 'dense',
        dimension: b.dimensions,
        normalize: b.normalize ?? true,
        field: 'inputs',
      });
      return service.reply(
        reply,
        out.results.map((r) => r.data),
      );
    },
  );

  app.post<{
    Body: { inputs: string | string[]; model?: string; input_type?: 'query' | 'document'; dimensions?: number };
  }>(
    '/embed_all',
    {
      schema: {
        body: {
          type: 'object',
          required: ['inputs'],
          properties: {
            inputs,
            model: { type: 'string' },
            input_type: { type: 'string', enum: ['query', 'document'] },
            dimensions: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const out = await service.encode<TokenEmbeddings>(req, reply, {
        model: b.model,
        inputs: list(b.inputs),
        kind: b.input_type ?? 'document',
        dimension: b.dimensions,
        field: 'inputs',
      });
      return service.reply(
        reply,
        out.results.map((r) => rowsOf(r.data, r.rows, r.dim)),
      );
    },
  );

  app.post<{
    Body: {
      query: string;
      texts: string[];
      model?: string;
      top_k?: number;
      return_text?: boolean;
      raw_scores?: boolean;
      truncate?: boolean;
    };
  }>(
    '/rerank',
    {
      schema: {
        body: {
          type: 'object',
          required: ['query', 'texts'],
          properties: {
            query: { type: 'string' },
            texts: { type: 'array', items: { type: 'string' } },
            model: { type: 'string' },
            top_k: { type: 'integer', minimum: 1 },
            return_text: { type: 'boolean' },
            raw_scores: { type: 'boolean' },
            truncate: { type: 'boolean' },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (!b.texts.length) throw validation('texts must not be empty', 'texts');
      // The query and the documents go through their own queues; both count towards the request.
      const [q, d] = await Promise.all([
        service.encode<TokenEmbeddings>(req, reply, {
          model: b.model,
          inputs: [b.query],
          kind: 'query',
          field: 'query',
        }),
        service.encode<TokenEmbeddings>(req, reply, {
          model: b.model,
          inputs: b.texts,
          kind: 'document',
          field: 'texts',
        }),
      ]);
      reply.header('x-compute-tokens', String(q.tokens + d.tokens));
      // The fast path: the model's engine GEMM when its backend scores, else core's packed kernel.
      const scorer = await service.model(b.model).tessera.scorer(d.results);
      let scores: Float32Array;
      try {
        scores = await scorer.score(q.results[0]!);
      } finally {
        await scorer.dispose();
      }
      return topK(scores, Math.min(b.top_k ?? b.texts.length, b.texts.length)).map((r) => ({
        index: r.index,
        score: r.score,
        ...(b.return_text ? { text: b.texts[r.index] } : {}),
      }));
    },
  );
}
