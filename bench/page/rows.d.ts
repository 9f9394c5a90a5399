import type { RowMatrix, TokenEmbeddings } from '@tessera/core';

export function seededRows(seed: number, count: number, dim: number): Float32Array;
export function maxSimData(
  documents: number,
  docRows: number,
  queryRows: number,
  dim: number,
): { docs: TokenEmbeddings[]; query: RowMatrix };
