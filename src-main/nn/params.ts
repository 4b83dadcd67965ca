import * as tf from '@tensorflow/tfjs-core';

/**
 * Named trainable weights of one network, created on first use with a seeded
 * initialiser. Hand-written instead of tfjs-layers because the SPGAN nets need
 * reflection padding and parameter-free InstanceNorm, which tfjs-layers lacks,
 * and because the three optimisers each take an explicit variable list.
 */
export class ParamStore {
  readonly prefix: string;
  private readonly vars = new Map<string, tf.Variable>();
  private seed: number;

  constructor(prefix: string, seed: number) {
    this.prefix = prefix;
    this.seed = seed;
  }

  /** Normal(0, std) weights (CycleGAN's init_type 'normal', gain 0.02), zeros for biases. */
  get(name: string, shape: number[], init: 'normal' | 'zeros' | 'ones' | 'he', std = 0.02): tf.Variable {
    const full = `${this.prefix}/${name}`;
    const existing = this.vars.get(full);
    if (existing) return existing;
    const value = tf.tidy(() => {
      if (init === 'zeros') return tf.zeros(shape);
      if (init === 'ones') return tf.ones(shape);
      // He normal for ReLU nets (the IDE ResNet); fanIn = product of all but the last axis.
      const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const s = init === 'he' ? Math.sqrt(2 / fanIn) : std;
      return tf.randomNormal(shape, 0, s, 'float32', this.seed++);
    });
    // A variable shares the tensor's data and holds its own reference, so the value can go.
    const v = tf.variable(value, true, full);
    value.dispose();
    this.vars.set(full, v);
    return v;
  }

  /** A non-trainable state tensor (frozen BatchNorm statistics). */
  state(name: string, shape: number[], fill: number): tf.Variable {
    const full = `${this.prefix}/${name}`;
    const existing = this.vars.get(full);
    if (existing) return existing;
    const value = tf.fill(shape, fill);
    const v = tf.variable(value, false, full);
    value.dispose();
    this.vars.set(full, v);
    return v;
  }

  trainable(): tf.Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  all(): Map<string, tf.Variable> {
    return this.vars;
  }

  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
