// Seeded unit rows for the browser section's MaxSim comparison: the page and Node build the same
// documents and query from the same seeds, and check that their scores agree.

/** `count` unit rows of `dim` floats from a linear congruential generator seeded with `seed`. */
export function seededRows(seed, count, dim) {
  let s = seed;
  const out = new Float32Array(count * dim);
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648 - 0.5;
  }
  for (let r = 0; r < count; r++) {
    const row = out.subarray(r * dim, (r + 1) * dim);
    const n = Math.hypot(...row);
    for (let j = 0; j < dim; j++) row[j] /= n;
  }
  return out;
}

/** The section's documents (seeds 1..n) as token embeddings, and its query. */
export function maxSimData(documents, docRows, queryRows, dim) {
  const docs = Array.from({ length: documents }, (_, d) => ({
    index: d,
    rows: docRows,
    dim,
    data: seededRows(d + 1, docRows, dim),
    tokenIds: new Int32Array(docRows),
    tokens: docRows,
    truncated: false,
  }));
  return { docs, query: { rows: queryRows, dim, data: seededRows(7_777_777, queryRows, dim) } };
}
