/**
 * The workbench's one seeded random generator, for everything that must replay
 * exactly: weight init, shuffles, augmentation draws, SPGAN's history pool and
 * flips, resume after a crash, the preview of what training saw.
 *
 * Hand-written because TF.js's seeded ops are backend-dependent and
 * Math.random cannot be seeded; the point is a generator whose whole state is
 * one uint32 we control, identical in every process and version. Mulberry32 is
 * tiny, fast and well mixed for this use (not for cryptography). Plain
 * TypeScript: every side (job processes, the host, the renderer) may use it.
 */

/** A uniform [0, 1) stream. */
export type RandomFn = () => number;

/** Mulberry32 with its state exposed, so a run can checkpoint and restore it. */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Uniform uint32. */
  nextUint32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Standard normal (Box-Muller on 1 - u, so the log never sees 0). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** The whole state, to store in a checkpoint. */
  state(): number {
    return this.s;
  }

  setState(state: number): void {
    this.s = state >>> 0;
  }

  /** This generator as a plain function (for the helpers below). */
  fn(): RandomFn {
    return () => this.next();
  }
}

/** Uniform [0, 1) stream from a 32-bit seed: the same numbers as `new Rng(seed).next()`. */
export function mulberry32(seed: number): RandomFn {
  return new Rng(seed).fn();
}

/**
 * Mixes several integers into one 32-bit seed (e.g. run seed, epoch, layer):
 * FNV-1a over the bytes, then an avalanche so consecutive inputs give
 * unrelated seeds. Weight init and data order use it.
 */
export function hashSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    let x = (p | 0) >>> 0;
    for (let i = 0; i < 4; i++) {
      h ^= x & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
      x >>>= 8;
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/** A 32-bit mix (murmur3's finaliser): nearby inputs give unrelated outputs. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Combines integers into one well-mixed uint32 with murmur3's finaliser: the
 * augmentation draws' seeds. Kept apart from `hashSeed` because stored
 * pipelines and runs replay their augmentations from exactly these values.
 */
export function mixSeeds(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) h = mix32((h ^ mix32(part >>> 0)) + 0x7f4a7c15);
  return h >>> 0;
}

/**
 * The seed of one sample in one epoch of one run. Training and preview both use
 * it, so "seed S, epoch E, sample I" replays exactly what training saw.
 */
export function sampleSeed(runSeed: number, epoch: number, sampleIndex: number): number {
  return mixSeeds(runSeed, epoch, sampleIndex);
}

/** Standard normal draw (Box-Muller, rejecting u = 0): weight init's draws. */
export function normal(rng: RandomFn): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Fisher-Yates shuffle of 0..n-1. */
export function permutation(n: number, rng: RandomFn): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** `permutation` as a plain array (the same draws). */
export function shuffled(n: number, rng: RandomFn): number[] {
  return Array.from(permutation(n, rng));
}
