import * as tf from '@tensorflow/tfjs-core';

/**
 * SGD with momentum, each variable's update as ONE kernel (`SGD_MOMENTUM_UPDATE`, the native
 * addon's sgdMomentumUpdate) where it is registered. TF.js ops take 4 kernels per variable
 * (MomentumOptimizer) or 5-6 (train/sgd.ts with weight decay); ResNet-56 has 167 variables, most
 * of them [16]-[64] BatchNorm vectors, so a step ran ~700 tiny kernels whose per-call cost is
 * most of their time. The kernel does the same float32 operations in the same order, so the
 * weights and buffers are bit-identical to the ops (test/engine/sgd-momentum.test.ts).
 * `WORKBENCH_NATIVE_SGD=0` (read per call) runs the TF.js ops instead.
 */
export const SGD_MOMENTUM_UPDATE = 'EngineSgdMomentumUpdate';

/**
 *   g = weightDecay > 0 ? grad + w*weightDecay : grad
 *   buffer' = first ? g : buffer*momentum + g
 *   u = nesterov ? g + buffer'*momentum : buffer'
 *   w' = w - u*lr
 */
export interface SgdMomentumAttrs {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  /** buffer' = g (PyTorch's first step); the buffer input is then not read. */
  first: boolean;
}

/** Whether the fused update serves the active backend now (the switch read per call). */
export function sgdMomentumFusedActive(): boolean {
  return process.env.WORKBENCH_NATIVE_SGD !== '0' && tf.getKernel(SGD_MOMENTUM_UPDATE, tf.getBackend()) != null;
}

/** [w', buffer'] of one variable (momentum > 0); new tensors, the inputs are left as they are. */
export function sgdMomentumUpdate(value: tf.Tensor, buffer: tf.Tensor, gradient: tf.Tensor, attrs: SgdMomentumAttrs): [tf.Tensor, tf.Tensor] {
  const out = tf.engine().runKernel(SGD_MOMENTUM_UPDATE, { value, buffer, gradient }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return [out[0]!, out[1]!];
}

/** MomentumOptimizer's fields this subclass reads (TypeScript-private there, plain properties at run time). */
interface MomentumState {
  momentum: number;
  useNesterov: boolean;
  accumulations: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

/** TF.js' MomentumOptimizer (no weight decay) with the fused update: the same weights, accumulators and checkpoints (getWeights/setWeights are its own). */
export class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  override applyGradients(variableGradients: Parameters<tf.MomentumOptimizer['applyGradients']>[0]): void {
    const self = this as unknown as MomentumState;
    if (!(self.momentum > 0) || !sgdMomentumFusedActive()) {
      super.applyGradients(variableGradients);
      return;
    }
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const attrs: SgdMomentumAttrs = { lr: this.learningRate, momentum: self.momentum, weightDecay: 0, nesterov: self.useNesterov, first: false };
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name]!;
      // As MomentumOptimizer: zero accumulators, so its first step is buffer*m + g too.
      self.accumulations[i] ??= { originalName: `${name}/momentum`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
      if (gradient == null) return;
      const accumulation = self.accumulations[i]!.variable;
      const [w, b] = sgdMomentumUpdate(value, accumulation, gradient, attrs);
      accumulation.assign(b);
      value.assign(w);
      tf.dispose([w, b]);
    });
    this.incrementIterations();
  }
}

/** Drop-in for tf.train.momentum. */
export function fusedMomentum(learningRate: number, momentum: number, useNesterov = false): FusedMomentumOptimizer {
  return new FusedMomentumOptimizer(learningRate, momentum, useNesterov);
}
