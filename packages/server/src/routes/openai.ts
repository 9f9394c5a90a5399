import type { DenseEmbedding, TokenEmbeddings } from '@tessera/core';
import type { FastifyInstance } from 'fastify';
import { base64Floats, rowsOf } from '../encoding.js';
import { badRequest } from '../errors.js';
import type { Service } from '../service.js';
import { embedBodySchema } from './schema.js';

interface Body {
  input: string | string[];
  model?: string;
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  return_multivector?: boolean;
  input_type?: 'query' | 'document';
}

const schema = embedBodySchema({
  encoding_format: { type: 'string', enum: ['float', 'base64'] },
  user: { type: 'string' },
  return_multivector: { type: 'boolean' },
});

/** POST /v1/embeddings, as OpenAI's API: dense vectors, or a ColBERT model's token vectors with return_multivector. */
export function openaiRoutes(app: FastifyInstance, service: Service): void {
  app.post<{ Body: Body }>('/v1/embeddings', { schema }, async (req, reply) => {
    const b = req.body;
    const inputs = typeof b.input === 'string' ? [b.input] : b.input;
    const m = service.model(b.model);
    const base64 = b.encoding_format === 'base64';
    if (m.tessera.kind === 'colbert') {
      if (!b.return_multivector)
        throw badRequest(
          `model "${m.name}" is a ColBERT (multi-vector) model: its embeddings are one vector per token. Use ` +
            `POST /v1/multi-vector, or pass return_multivector: true to get them under "embeddings"`,
          'return_multivector',
        );
      const out = await service.encode<TokenEmbeddings>(req, reply, {
        model: b.model,
        inputs,
        kind: b.input_type ?? 'document',
        dimension: b.dimensions,
        field: 'input',
      });
      return service.reply(reply, {
        object: 'list',
        model: out.model.name,
        data: out.results.map((r) => ({
          object: 'embedding',
          index: r.index,
          embeddings: rowsOf(r.data, r.rows, r.dim).map((row) => (base64 ? base64Floats(row) : row)),
        })),
        usage: { prompt_tokens: out.tokens, total_tokens: out.tokens },
      });
    }
    if (b.return_multivector)
      throw badRequest(
        `model "${m.name}" is a dense model: it has no token vectors (return_multivector)`,
        'return_multivector',
      );
    const out = await service.encode<DenseEmbedding>(req, reply, {
      model: b.model,
      inputs,
      kind: 'dense',
      dimension: b.dimensions,
      field: 'input',
    });
    return service.reply(reply, {
      object: 'list',
      model: out.model.name,
      data: out.results.map((r) => ({
        object: 'embedding',
        index: r.index,
        embedding: base64 ? base64Floats(r.data) : r.data,
      })),
      usage: { prompt_tokens: out.tokens, total_tokens: out.tokens },
    });
  });
}
