import { TesseraError } from '../errors.js';
import type { Json } from './json.js';

// Sizes past any real text encoder (the largest today: hidden 8192, 128 layers, 256k vocabulary,
// 128k positions). A config beyond them is broken or hostile: refuse it before anything is sized by it.
const BOUNDS: Record<string, number> = {
  hidden_size: 65_536,
  dim: 65_536,
  num_hidden_layers: 1_024,
  n_layers: 1_024,
  num_attention_heads: 1_024,
  n_heads: 1_024,
  intermediate_size: 1_048_576,
  hidden_dim: 1_048_576,
  vocab_size: 4_194_304,
  max_position_embeddings: 16_777_216,
  type_vocab_size: 1_024,
};

/** Checks the size fields of a transformer config.json: positive integers within BOUNDS. */
export function checkConfigBounds(config: Json, file: string): void {
  for (const [key, max] of Object.entries(BOUNDS)) {
    const v = config[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
      throw new TesseraError(
        'INVALID_MODEL',
        `${file}: "${key}" is ${JSON.stringify(v)}; expected an integer from 0 to ${max} (no real text encoder is larger)`,
        { file, field: key },
      );
  }
}
