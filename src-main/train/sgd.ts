/**
 * SGD with momentum / Nesterov and weight decay, PyTorch semantics:
 *   g = grad + wd * w;  buf = m * buf + g (buf = g on the first step);
 *   step = nesterov ? g + m * buf : buf;  w -= lr * step.
 * Hand-written rather than tf.train.momentum because that one has no weight
 * decay and keys its state by variable names that differ between processes;
 * here the state is keyed by weight name so checkpoints restore exactly.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface SgdOptions {
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

export class Sgd {
  readonly buffers = new Map<string, tf.Variable>();
  private readonly o: SgdOptions;

  constructor(options: SgdOptions) {
    this.o = options;
  }

  /** params: weight name -> variable; grads: weight name -> gradient. */
  step(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    const { momentum, nesterov, weightDecay } = this.o;
    tf.tidy(() => {
      for (const [name, w] of params) {
        const grad = grads.get(name);
        if (!grad) continue;
        const g = weightDecay > 0 ? tf.add(grad, tf.mul(w, weightDecay)) : grad;
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

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
