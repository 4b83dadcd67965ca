import * as tf from '@tensorflow/tfjs-core';

/**
 * Conv2DBackpropInput followed by the add of another gradient of the same input (a ResNet block's
 * input: the conv branch's dx plus the shortcut's gradient), as one kernel: inputs `dy`, `filter`,
 * `addend` (the input's shape), attrs as Conv2DBackpropInput. The native addon registers it
 * (native/kernels/conv2d-backprop-input.ts): stride 1 adds in the conv's epilogue while each row is
 * in cache, other strides after each image's col2im.
 */
export const BACKPROP_INPUT_ADD = 'EngineConv2DBackpropInputAdd';

/** Whether BACKPROP_INPUT_ADD serves the active backend; `WORKBENCH_FUSED_DX_ADD=0` (read per call) says no, for A/B timing. */
export function backpropInputAddActive(): boolean {
  return process.env.WORKBENCH_FUSED_DX_ADD !== '0' && tf.getKernel(BACKPROP_INPUT_ADD, tf.getBackend()) != null;
}
