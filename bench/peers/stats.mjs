// Small shared helpers for the Node peer benchmarks: percentiles and a seeded normal generator.

/**
 * Percentile of an ascending-sorted array by linear interpolation between closest ranks
 * (the same definition as numpy.percentile's default "linear" method): rank = p/100 * (n-1).
 * @param {number[]} sorted ascending, non-empty
 * @param {number} p in [0, 100]
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) throw new Error('percentile of an empty array');
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * `count` standard-normal float32 values from a seeded generator: mulberry32 (a 32-bit
 * multiply-xorshift PRNG) for uniforms, Box-Muller for the normal transform.
 * Deterministic for a given seed; not the same stream as numpy's.
 * @param {number} count
 * @param {number} seed
 */
export function seededNormal(count, seed) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - uniform(); // (0, 1]: log stays finite
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
