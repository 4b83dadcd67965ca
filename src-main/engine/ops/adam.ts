import * as tf from '@tensorflow/tfjs-core';

/**
 * TF.js' Adam with each variable's update as ONE kernel (`ADAM_UPDATE`, the native addon's
 * adamUpdate) where it is registered: TF.js runs ~12 element-wise kernels per variable (an
 * SPGAN step updates 80 variables: ~1000 kernel calls, most on wasm's single thread). The
 * kernel does the same float32 operations in the same order, so the weights equal TF.js'
 * (test/engine/native-kernels.test.ts compares them); moments, accumulated betas, iterations
 * and getWeights/setWeights (checkpoints) are AdamOptimizer's own. Where the kernel is not
 * registered, or WORKBENCH_NATIVE_ADAM=0 (read per call), AdamOptimizer's update runs.
 */
export const ADAM_UPDATE = 'EngineAdamUpdate';

/** AdamOptimizer's fields this subclass reads (TypeScript-private there, plain properties at run time). */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (process.env.WORKBENCH_NATIVE_ADAM === '0' || tf.getKernel(ADAM_UPDATE, tf.getBackend()) == null) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const [acc1, acc2] = [self.accBeta1.dataSync()[0]!, self.accBeta2.dataSync()[0]!];
    // AdamOptimizer's scalars as its kernels see them: float32 tensors of the JS values.
    const params = new Float32Array([this.beta1, 1 - this.beta1, this.beta2, 1 - this.beta2, 1 - acc1, 1 - acc2, this.epsilon, -this.learningRate]);
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i]!.variable;
        const v = self.accumulatedSecondMoment[i]!.variable;
        const out = tf.engine().runKernel(ADAM_UPDATE, { value, m, v, gradient }, { params: Array.from(params) }) as tf.Tensor[];
        m.assign(out[1]!);
        v.assign(out[2]!);
        value.assign(out[0]!);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, this.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/** Drop-in for tf.train.adam (same defaults: epsilon = the backend's). */
export function fusedAdam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
