import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Identity without a copy: the output shares the input's data (one more reference), as the cpu
 * backend's Identity and every backend's Reshape do. Tensors are immutable, so sharing is safe.
 *
 * Why: TF.js's engine clones every tensor a kernel saves for its gradient (`save` in
 * engine.saveTensorsForBackwardMode runs Identity), and the wasm backend's Identity copies the
 * whole buffer: in a ResNet-20 training step (batch 128) that was 260 full-size copies, 4.6% of
 * the step, and a second copy of every saved activation held until the backward pass.
 */
export function identityKernel(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend }) => {
    const { x } = inputs as { x: TensorInfo };
    (backend as KernelBackend & { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  return { kernelName: 'Identity', backendName, kernelFunc };
}
