/** The k-th largest value (k from 1) by quickselect on a copy: linear time, where sorting every value is not. */
function kthLargest(values: Float32Array, k: number): number {
  const a = values.slice();
  let lo = 0;
  let hi = a.length - 1;
  const want = k - 1;
  while (lo < hi) {
    // Median of three as the pivot keeps sorted and reversed inputs linear.
    const mid = (lo + hi) >> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else return a[want]!;
  }
  return a[want]!;
}

/**
 * Positions of the n largest values, largest first; equal values keep the lower position first.
 * A selection, then a sort of the n chosen only: the search ranks thousands of candidates to keep
 * a few hundred.
 */
export function topPositions(values: Float32Array, n: number): Uint32Array {
  const count = Math.min(n, values.length);
  if (count <= 0) return new Uint32Array(0);
  const threshold = kthLargest(values, count);
  const chosen = new Uint32Array(count);
  let at = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! > threshold) chosen[at++] = i;
  for (let i = 0; i < values.length && at < count; i++) if (values[i] === threshold) chosen[at++] = i;
  return chosen.sort((a, b) => values[b]! - values[a]! || a - b);
}
