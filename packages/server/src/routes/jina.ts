import type { TokenEmbeddings } from '@tessera/core';
import type { FastifyInstance } from 'fastify';
import { base64Floats, packBits, rowsOf } from '../encoding.js';
import type { Service } from '../service.js';
import { embedBodySchema } from './schema.js';

interface Body {
  input: string | string[];
  model?: string;
  input_type?: 'query' | 'document';
  embedding_type?: 'float' | 'binary' | 'ubinary' | 'base64';
  dimensions?: number;
}

const schema = embedBodySchema({ embedding_type: { type: 'string', enum: ['float', 'binary', 'ubinary', 'base64'] } });

/** POST /v1/multi-vector, as Jina's multi-vector API: one row per token. */
export function jinaRoutes(app: FastifyInstance, service: Service): void {
  app.post<{ Body: Body }>('/v1/multi-vector', { schema }, async (req, reply) => {
    const b = req.body;
    const out = await service.encode<TokenEmbeddings>(req, reply, {
      model: b.model,
      inputs: typeof b.input === 'string' ? [b.input] : b.input,
      kind: b.input_type ?? 'document',
      dimension: b.dimensions,
      field: 'input',
    });
    const type = b.embedding_type ?? 'float';
    const row = (v: Float32Array) =>
      type === 'float' ? v : type === 'base64' ? base64Floats(v) : packBits(v, type === 'binary');
    return service.reply(reply, {
      model: out.model.name,
      object: 'list',
      usage: { total_tokens: out.tokens },
      data: out.results.map((r) => ({
        object: 'embeddings',
        index: r.index,
        embeddings: rowsOf(r.data, r.rows, r.dim).map(row),
      })),
    });
  });
}
