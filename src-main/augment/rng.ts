/**
 * Seeded random numbers for augmentation draws.
 *
 * Hand-written (a few lines) rather than a library because the whole point is a
 * generator whose state is one uint32 we control: the preview and the training
 * loader must draw exactly the same numbers for the same (run seed, epoch,
 * sample), in any process, forever. Mulberry32 is fast and well mixed for this
 * use (not for cryptography).
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform uint32. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
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

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
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

/** Combines several integers into one well-mixed uint32 seed. */
export function hashSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) h = mix32((h ^ mix32(part >>> 0)) + 0x7f4a7c15);
  return h >>> 0;
}

/**
 * The seed of one sample in one epoch of one run. Training and preview both use
 * it, so "seed S, epoch E, sample I" replays exactly what training saw.
 */
export function sampleSeed(runSeed: number, epoch: number, sampleIndex: number): number {
  return hashSeed(runSeed, epoch, sampleIndex);
}
