/** One SGD step on a batch: forward in training mode, backward, update, BN running statistics. */
import * as tf from '@tensorflow/tfjs-core';
import { forward, updateRunningStats, type BatchStats, type Model } from '../nn/forward.ts';
import { manualBackwardUnsupported, trainGradients } from '../nn/backward.ts';
import type { Sgd } from './sgd.ts';
import type { FloatBatch } from './data.ts';

/** Called with the gradients by weight name before they are disposed (e.g. to accumulate them for the Taylor criterion). */
export type GradientSink = (grads: ReadonlyMap<string, tf.Tensor>) => void;

/** Forward in training mode and backward (by hand where the graph allows, else the tape); the caller owns (and disposes) the returned gradients and statistics. */
function gradients(model: Model, params: ReadonlyMap<string, tf.Variable>, batch: FloatBatch, shape: [number, number, number], seed: number, stats: BatchStats): { loss: number; correct: number; grads: Map<string, tf.Tensor> } {
  const x = tf.tensor4d(batch.data, [batch.n, ...shape]);
  const labels = tf.tensor1d(batch.labels, 'int32');
  let correct = 0;
  try {
    const lossOf = (logits: tf.Tensor2D): tf.Scalar => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, model.spec.numClasses), logits) as tf.Scalar;
    const countCorrect = (logits: tf.Tensor2D): number => tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')).dataSync()[0]!);
    if (manualBackwardUnsupported(model.spec) === null) {
      // The hand-written backward pass: same gradients as the tape, far fewer activations held (nn/backward.ts).
      const r = trainGradients(model, x, lossOf, { seed, batchStats: stats }, new Set(params.keys()));
      correct = countCorrect(r.logits);
      const loss = r.loss.dataSync()[0]!;
      tf.dispose([r.loss, r.logits]);
      return { loss, correct, grads: r.grads };
    }
    const vars = [...params.values()];
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = forward(model, x, { training: true, seed, batchStats: stats });
      correct = countCorrect(logits);
      return lossOf(logits);
    }, vars);
    // variableGrads keys gradients by variable name; the optimizer keys state by weight name.
    const byWeight = new Map<string, tf.Tensor>();
    const used = new Set<tf.Tensor>();
    for (const [name, v] of params) {
      const g = grads[v.name];
      if (g) {
        byWeight.set(name, g);
        used.add(g);
      }
    }
    tf.dispose(Object.values(grads).filter((g) => !used.has(g)));
    const loss = value.dataSync()[0]!;
    value.dispose();
    return { loss, correct, grads: byWeight };
  } finally {
    x.dispose();
    labels.dispose();
  }
}

export function trainStep(
  model: Model,
  params: ReadonlyMap<string, tf.Variable>,
  sgd: Sgd,
  batch: FloatBatch,
  shape: [number, number, number],
  lr: number,
  seed: number,
  onGradients?: GradientSink,
): { loss: number; correct: number } {
  const stats: BatchStats = new Map();
  try {
    const { loss, correct, grads } = gradients(model, params, batch, shape, seed, stats);
    try {
      onGradients?.(grads);
      sgd.step(params, grads, lr);
      updateRunningStats(model, stats);
    } finally {
      tf.dispose([...grads.values()]);
    }
    return { loss, correct };
  } finally {
    for (const s of stats.values()) tf.dispose([s.mean, s.variance]);
  }
}

/** Gradients of one batch without updating anything (weights, momentum, BN statistics), handed to `sink`. */
export function gradientPass(model: Model, params: ReadonlyMap<string, tf.Variable>, batch: FloatBatch, shape: [number, number, number], seed: number, sink: GradientSink): void {
  const stats: BatchStats = new Map();
  try {
    const { grads } = gradients(model, params, batch, shape, seed, stats);
    try {
      sink(grads);
    } finally {
      tf.dispose([...grads.values()]);
    }
  } finally {
    for (const s of stats.values()) tf.dispose([s.mean, s.variance]);
  }
}

/** Sums the kernel gradients of the given convs across calls (the Taylor criterion's G). */
export class GradientAccumulator {
  readonly sums = new Map<string, tf.Variable>();
  constructor(private readonly convs: readonly string[]) {}

  readonly add: GradientSink = (grads) => {
    for (const conv of this.convs) {
      const g = grads.get(`${conv}/kernel`);
      if (!g) continue;
      const s = this.sums.get(conv);
      if (s) tf.tidy(() => s.assign(tf.add(s, g)));
      else this.sums.set(conv, tf.variable(g, false));
    }
  };

  get empty(): boolean {
    return this.sums.size === 0;
  }

  reset(): void {
    for (const s of this.sums.values()) s.dispose();
    this.sums.clear();
  }
}
