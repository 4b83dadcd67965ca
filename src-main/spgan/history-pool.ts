import * as tf from '@tensorflow/tfjs-core';

/**
 * CycleGAN's image history pool: the discriminators see generated images drawn
 * half the time from the last `size` generated ones, which damps oscillation.
 * For each image of a batch: while the pool is not full, store it and return
 * it; afterwards, with probability 0.5 return a random stored image and store
 * the new one in its place, otherwise return the new one. Size 0 = no pool.
 * The pool owns its stored tensors (kept out of tidy scopes); `dispose()` frees them.
 */
export class HistoryPool {
  readonly size: number;
  private readonly images: tf.Tensor3D[] = [];
  private readonly random: () => number;

  constructor(size: number, random: () => number) {
    this.size = size;
    this.random = random;
  }

  get length(): number {
    return this.images.length;
  }

  /** [B, H, W, C] -> [B, H, W, C] mixture of new and stored images; the caller owns the result. */
  query(batch: tf.Tensor4D): tf.Tensor4D {
    if (this.size === 0) return tf.clone(batch);
    const n = batch.shape[0];
    const picked: tf.Tensor3D[] = [];
    const temporaries: tf.Tensor3D[] = [];
    for (let i = 0; i < n; i++) {
      const image = tf.keep(tf.tidy(() => tf.squeeze(tf.slice(batch, [i, 0, 0, 0], [1, -1, -1, -1]), [0]) as tf.Tensor3D)); // [1,H,W,C] -> [H,W,C]
      if (this.images.length < this.size) {
        this.images.push(image);
        picked.push(image);
      } else if (this.random() > 0.5) {
        const slot = Math.min(this.size - 1, Math.floor(this.random() * this.size));
        const old = this.images[slot];
        this.images[slot] = image;
        picked.push(old);
        temporaries.push(old); // no longer stored: freed after stacking
      } else {
        picked.push(image);
        temporaries.push(image);
      }
    }
    const out = tf.stack(picked) as tf.Tensor4D;
    for (const t of temporaries) t.dispose();
    return out;
  }

  /** The stored images in slot order (owned by the pool): a checkpoint saves them so a resumed run draws from the same history. */
  stored(): readonly tf.Tensor3D[] {
    return this.images;
  }

  /** Replaces the stored images with `images` (the pool takes ownership), as a checkpoint saved them. */
  restore(images: tf.Tensor3D[]): void {
    this.dispose();
    this.images.push(...images.slice(0, this.size));
    for (const t of images.slice(this.size)) t.dispose();
  }

  dispose(): void {
    for (const t of this.images) t.dispose();
    this.images.length = 0;
  }
}
