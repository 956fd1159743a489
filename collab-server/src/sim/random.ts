/**
 * Seeded pseudo-random numbers so that a simulation run is reproducible
 * (`--seed`). mulberry32: tiny, fast, good enough for load shapes.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** A uniformly chosen element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** Exponentially distributed delay with the given mean (Poisson arrivals). */
  exp(mean: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** A derived, independent generator (e.g. one per bot). */
  fork(label: string): Rng;
}

export function hashString(s: string): number {
  // FNV-1a 32-bit.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function createRng(seed: number | string): Rng {
  let state = (typeof seed === 'number' ? seed : hashString(seed)) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick() from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
    exp: (mean) => -Math.log(1 - next()) * mean,
    normal: () => {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    fork: (label) => createRng((hashString(label) ^ Math.floor(next() * 4294967296)) >>> 0),
  };
  return rng;
}

/** Zipf-like weights 1/(k+1)^s, normalised; index 0 is the busiest. */
export function zipfWeights(n: number, s = 1.1): number[] {
  const raw = Array.from({ length: n }, (_, k) => 1 / Math.pow(k + 1, s));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / sum);
}

/** Index drawn from a list of weights summing to ~1. */
export function weightedIndex(rng: Rng, weights: readonly number[]): number {
  let r = rng.next();
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i] ?? 0;
    if (r < 0) return i;
  }
  return Math.max(0, weights.length - 1);
}

/**
 * Spreads `clients` over `rooms` following the weights, giving every room at
 * least one client when there are enough clients (so every room has activity).
 */
export function distribute(clients: number, weights: readonly number[]): number[] {
  const n = weights.length;
  const counts = new Array<number>(n).fill(0);
  if (n === 0) return counts;
  const base = clients >= n ? 1 : 0;
  if (base) counts.fill(1);
  let rest = clients - base * n;
  // Largest-remainder apportionment of the rest.
  const exact = weights.map((w) => w * rest);
  for (let i = 0; i < n; i++) {
    const whole = Math.floor(exact[i] ?? 0);
    counts[i] = (counts[i] ?? 0) + whole;
    rest -= whole;
  }
  const order = exact
    .map((e, i) => ({ i, frac: e - Math.floor(e) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; rest > 0 && n > 0; k = (k + 1) % n, rest--) {
    const i = order[k]?.i ?? 0;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts;
}
