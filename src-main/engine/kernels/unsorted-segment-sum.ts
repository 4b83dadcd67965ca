import { outputWithValues } from './kernel-utils.ts';
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';

/**
 * UnsortedSegmentSum, missing from the wasm backend. tfjs needs it for the
 * gradient of gather (the CIFAR ResNets' option-A shortcut subsamples with
 * two gathers). A scatter-add has no XNNPACK formulation; it is one linear
 * pass, written here in plain JS over float32 data (small: only the shortcut
 * gradients go through it).
 *   out[segmentIds[i], j] += x[i, j]   (ids outside [0, numSegments) are dropped, as in TF)
 */
export function unsortedSegmentSumKernel(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
    const b = backend as KernelBackend;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`engine: UnsortedSegmentSum does not support dtype ${x.dtype}`);
    const ids = b.readSync(segmentIds.dataId) as Int32Array | Float32Array;
    const values = b.readSync(x.dataId) as Float32Array | Int32Array;
    const idCount = ids.length;
    const inner = idCount === 0 ? 0 : values.length / idCount;
    const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
    const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
    for (let i = 0; i < idCount; i++) {
      const seg = ids[i]!;
      if (seg < 0 || seg >= numSegments) continue;
      const src = i * inner;
      const dst = seg * inner;
      for (let j = 0; j < inner; j++) out[dst + j]! += values[src + j]!;
    }
    return outputWithValues(b, outShape, x.dtype, out);
  };
  return { kernelName: 'UnsortedSegmentSum', backendName, kernelFunc };
}
