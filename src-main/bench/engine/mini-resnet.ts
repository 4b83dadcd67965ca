/**
 * A minimal CIFAR ResNet (He et al. 2016, option-A shortcuts) on tfjs-core
 * ops, for the engine benchmark when the model registry (src-main/models,
 * src-main/nn) cannot be loaded in this process. Same layer shapes and
 * parameter count as the registry's resnet20/56; BatchNorm through our
 * batchNormTrain. Not a product model: no saving, no running statistics.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTrain } from '../../engine/ops/batch-norm.ts';

export interface MiniResNet {
  variables: tf.Variable[];
  forward(x: tf.Tensor4D, training: boolean): tf.Tensor2D;
  dispose(): void;
}

export function createMiniResNet(depth: number, numClasses = 10, seed = 1): MiniResNet {
  if ((depth - 2) % 6 !== 0) throw new Error(`CIFAR ResNet depth must be 6n+2, got ${depth}`);
  const n = (depth - 2) / 6;
  const variables: tf.Variable[] = [];
  const constants: tf.Tensor[] = [];
  let s = seed;
  const convW = (k: number, cin: number, cout: number): tf.Variable => {
    const v = tf.variable(tf.randomNormal([k, k, cin, cout], 0, Math.sqrt(2 / (k * k * cin)), 'float32', s++));
    variables.push(v);
    return v;
  };
  const bnParams = (c: number): { gamma: tf.Variable; beta: tf.Variable } => {
    const gamma = tf.variable(tf.ones([c]));
    const beta = tf.variable(tf.zeros([c]));
    variables.push(gamma, beta);
    return { gamma, beta };
  };
  /** Option-A shortcut as a fixed 1x1 stride-2 conv: channel c -> c + pad (exact subsample + zero channels). */
  const shortcutKernel = (cin: number, cout: number): tf.Tensor4D => {
    const pad = Math.floor((cout - cin) / 2);
    const values = new Float32Array(cin * cout);
    for (let c = 0; c < cin; c++) values[c * cout + c + pad] = 1;
    const k = tf.tensor4d(values, [1, 1, cin, cout]);
    constants.push(k);
    return k;
  };
  const bn = (x: tf.Tensor4D, p: { gamma: tf.Variable; beta: tf.Variable }, training: boolean): tf.Tensor4D =>
    training
      ? batchNormTrain(x, p.gamma as tf.Tensor1D, p.beta as tf.Tensor1D, 1e-5).y
      : tf.batchNorm4d(x, tf.zeros([p.gamma.shape[0]!]) as tf.Tensor1D, tf.ones([p.gamma.shape[0]!]) as tf.Tensor1D, p.beta as tf.Tensor1D, p.gamma as tf.Tensor1D, 1e-5);

  const stem = { w: convW(3, 3, 16), bn: bnParams(16) };
  const blocks: { w1: tf.Variable; bn1: ReturnType<typeof bnParams>; w2: tf.Variable; bn2: ReturnType<typeof bnParams>; stride: number; shortcut: tf.Tensor4D | null }[] = [];
  let cin = 16;
  [16, 32, 64].forEach((planes, stage) => {
    for (let b = 0; b < n; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      blocks.push({
        w1: convW(3, cin, planes),
        bn1: bnParams(planes),
        w2: convW(3, planes, planes),
        bn2: bnParams(planes),
        stride,
        shortcut: stride !== 1 || cin !== planes ? shortcutKernel(cin, planes) : null,
      });
      cin = planes;
    }
  });
  const fcW = tf.variable(tf.randomNormal([64, numClasses], 0, Math.sqrt(1 / 64), 'float32', s++));
  const fcB = tf.variable(tf.zeros([numClasses]));
  variables.push(fcW, fcB);

  return {
    variables,
    forward(x, training) {
      let h = tf.relu(bn(tf.conv2d(x, stem.w as tf.Tensor4D, 1, 'same'), stem.bn, training));
      for (const blk of blocks) {
        let y = tf.relu(bn(tf.conv2d(h, blk.w1 as tf.Tensor4D, blk.stride, 'same'), blk.bn1, training));
        y = bn(tf.conv2d(y, blk.w2 as tf.Tensor4D, 1, 'same'), blk.bn2, training);
        const shortcut = blk.shortcut ? tf.conv2d(h, blk.shortcut, blk.stride, 'same') : h;
        h = tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
      }
      const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D; // [B,8,8,64] -> [B,64]
      return tf.add(tf.matMul(pooled, fcW as tf.Tensor2D), fcB);
    },
    dispose() {
      tf.dispose(variables);
      tf.dispose(constants);
    },
  };
}
