import type { PassageSetting } from '@tessera/core';
import { intOption } from '../args.js';
import { UsageError } from '../errors.js';

/** --passage-tokens, --overlap and --no-split as the index run's passage setting. */
export function passageSetting(values: Record<string, unknown>): PassageSetting | undefined {
  const passageTokens = intOption(values, 'passage-tokens');
  const overlap = intOption(values, 'overlap', 0);
  if (values['no-split']) {
    if (passageTokens !== undefined || overlap !== undefined)
      throw new UsageError('--no-split encodes texts whole: drop --passage-tokens and --overlap');
    return false;
  }
  if (passageTokens === undefined && overlap === undefined) return undefined;
  return { ...(passageTokens !== undefined ? { passageTokens } : {}), ...(overlap !== undefined ? { overlap } : {}) };
}
