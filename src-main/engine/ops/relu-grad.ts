import * as tf from '@tensorflow/tfjs-core';
import { RELU_GRAD } from '../kernels/relu-grad.ts';

/**
 * ReLU's gradient dy * step(y) for y = relu(x) (relu(x) > 0 exactly where x > 0): one kernel
 * where the engine registered `EngineReluGrad` (wasm, cpu; threaded on the native addon), else
 * TF.js' own Multiply(dy, Cast(Step(y))). Both give the same bits.
 * `WORKBENCH_FUSED_RELU_GRAD=0` (read per call) takes the three-kernel path, for A/B timing.
 */
export function reluGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (process.env.WORKBENCH_FUSED_RELU_GRAD !== '0' && dy.dtype === 'float32' && y.dtype === 'float32' && tf.getKernel(RELU_GRAD, tf.getBackend()) != null) {
    return tf.engine().runKernel(RELU_GRAD, { dy, y }) as tf.Tensor;
  }
  return tf.tidy(() => tf.mul(dy, tf.cast(tf.step(y), 'float32')));
}
