/**
 * SGD with momentum / Nesterov and weight decay, PyTorch semantics:
 *   g = grad + wd * w;  buf = m * buf + g (buf = g on the first step);
 *   step = nesterov ? g + m * buf : buf;  w -= lr * step.
 * Hand-written rather than tf.train.momentum because that one has no weight
 * decay and keys its state by variable names that differ between processes;
 * here the state is keyed by weight name so checkpoints restore exactly.
 *
 * Gradient masks (pruning's `noRegrowth`): for a weight with a keep vector
 * along its last axis, g (weight decay included) is multiplied by it and the
 * momentum is masked once when the mask is set, so pruned filters stay exactly
 * zero until the masks change.
 *
 * With momentum, an unmasked weight's update runs as one native kernel where the addon has it
 * (engine/ops/sgd-momentum.ts: the same float32 operations, the same bits) instead of 5-6 TF.js
 * ops per weight; `WORKBENCH_NATIVE_SGD=0` (read per step) runs the ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sgdMomentumFusedActive, sgdMomentumUpdate } from '../engine/ops/sgd-momentum.ts';

export interface SgdOptions {
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

export class Sgd {
  readonly buffers = new Map<string, tf.Variable>();
  private readonly o: SgdOptions;
  private readonly masks = new Map<string, tf.Tensor1D>();

  constructor(options: SgdOptions) {
    this.o = options;
  }

  /** params: weight name -> variable; grads: weight name -> gradient. */
  step(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    const { momentum, nesterov, weightDecay } = this.o;
    const fused = momentum > 0 && sgdMomentumFusedActive();
    tf.tidy(() => {
      for (const [name, w] of params) {
        const grad = grads.get(name);
        if (!grad) continue;
        if (fused && !this.masks.has(name)) {
          const buf = this.buffers.get(name);
          // first step: buffer' = g, the buffer input is not read (grad stands in for its shape)
          const [nw, nb] = sgdMomentumUpdate(w, buf ?? grad, grad, { lr, momentum, weightDecay, nesterov, first: !buf });
          if (buf) buf.assign(nb);
          else this.buffers.set(name, tf.variable(nb, false));
          w.assign(nw);
          continue;
        }
        const decayed = weightDecay > 0 ? tf.add(grad, tf.mul(w, weightDecay)) : grad;
        const keep = this.masks.get(name);
        const g = keep ? tf.mul(decayed, keep) : decayed;
        let update: tf.Tensor = g;
        if (momentum > 0) {
          let buf = this.buffers.get(name);
          if (!buf) {
            buf = tf.variable(g, false);
            this.buffers.set(name, buf);
          } else {
            buf.assign(tf.add(tf.mul(buf, momentum), g));
          }
          update = nesterov ? tf.add(g, tf.mul(buf, momentum)) : buf;
        }
        w.assign(tf.sub(w, tf.mul(update, lr)));
      }
    });
  }

  /** Replaces the gradient masks (weight name -> keep vector over the last axis) and masks the momentum of what they prune. */
  setMasks(keeps: ReadonlyMap<string, Float32Array>): void {
    this.clearMasks();
    for (const [name, keep] of keeps) {
      const t = tf.tensor1d(keep);
      this.masks.set(name, t);
      const buf = this.buffers.get(name);
      if (buf) tf.tidy(() => buf.assign(tf.mul(buf, t)));
    }
  }

  clearMasks(): void {
    for (const t of this.masks.values()) t.dispose();
    this.masks.clear();
  }

  dispose(): void {
    this.clearMasks();
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
