import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Our training kernels are compositions of the wasm backend's own kernels
 * (Conv2D, Transpose, Reverse, PadV2, Slice, ...), so that every arithmetic
 * step runs in XNNPACK. Inside a kernel we must not call the public tf ops
 * (they would create tracked tensors in the caller's scope); instead we call
 * the other kernels' functions directly, as the backends themselves do, and
 * free every intermediate with `disposeData`.
 */
export class KernelScope {
  private readonly temps: TensorInfo[] = [];

  constructor(
    readonly backend: KernelBackend,
    readonly backendName: string,
  ) {}

  /** Runs another kernel of the same backend; the result is freed by `dispose()` unless kept. */
  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = tf.getKernel(kernelName, this.backendName);
    if (kernel == null) {
      throw new Error(`engine: kernel ${kernelName} is not registered for backend ${this.backendName}`);
    }
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend });
    if (Array.isArray(out)) {
      throw new Error(`engine: kernel ${kernelName} returned several outputs where one was expected`);
    }
    this.temps.push(out);
    return out;
  }

  /** Reshape without copying (shares the data id, like the backends' own reshape). */
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  /** Removes `out` from the temporaries so it survives `dispose()`; returns it for the engine. */
  keep(out: TensorInfo): TensorInfo {
    const index = this.temps.indexOf(out);
    if (index >= 0) this.temps.splice(index, 1);
    return out;
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** Runs `body` with a fresh scope and frees all intermediates it made except the returned one. */
export function withKernelScope(backend: KernelBackend, backendName: string, body: (s: KernelScope) => TensorInfo): TensorInfo {
  const scope = new KernelScope(backend, backendName);
  try {
    return scope.keep(body(scope));
  } finally {
    scope.dispose();
  }
}

/** The parts of a backend that JS-loop kernels use; both cpu and wasm provide one of the two constructors. */
interface OutputMaker {
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): TensorInfo;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): TensorInfo;
}

/** A new tensor holding `values`, on whichever backend runs the kernel (cpu: makeTensorInfo, wasm: makeOutput). */
export function outputWithValues(backend: KernelBackend, shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): TensorInfo {
  const maker = backend as unknown as OutputMaker;
  if (maker.makeTensorInfo) return maker.makeTensorInfo(shape, dtype, values);
  if (maker.makeOutput) return maker.makeOutput(shape, dtype, undefined, values);
  throw new Error('engine: this backend cannot create outputs for JS kernels');
}

interface HeapAccess {
  typedArrayFromHeap?(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput?(shape: number[], dtype: tf.DataType): TensorInfo;
}

/**
 * Float32 data of `infos` without copying where the backend allows (wasm: a
 * view on its heap; cpu: its own array). On wasm, call this only after all
 * outputs are allocated: an allocation may grow (and so detach) the heap.
 */
export function float32Views(backend: KernelBackend, ...infos: TensorInfo[]): Float32Array[] {
  const heap = backend as unknown as HeapAccess;
  return infos.map((info) => {
    if (info.dtype !== 'float32') throw new Error(`engine: expected float32, got ${info.dtype}`);
    return (heap.typedArrayFromHeap ? heap.typedArrayFromHeap(info) : backend.readSync(info.dataId)) as Float32Array;
  });
}

/**
 * Allocates float32 outputs of the given shapes on the kernel's backend and
 * returns a function that yields writable views of them (call it after all
 * allocations, see float32Views). On cpu the arrays are handed over to new
 * tensors once filled; on wasm they live on the heap from the start.
 */
export function allocateFloat32Outputs(backend: KernelBackend, shapes: number[][]): { infos: TensorInfo[]; views: () => Float32Array[] } {
  const heap = backend as unknown as HeapAccess;
  if (heap.makeOutput && heap.typedArrayFromHeap) {
    const infos = shapes.map((shape) => heap.makeOutput!(shape, 'float32'));
    return { infos, views: () => float32Views(backend, ...infos) };
  }
  const arrays = shapes.map((shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
  const infos = shapes.map((shape, i) => outputWithValues(backend, shape, 'float32', arrays[i]!));
  return { infos, views: () => arrays };
}

interface WasmHeapBackend {
  wasm?: { HEAPU8: Uint8Array };
  dataIdMap?: { get(dataId: object): { memoryOffset: number } };
}

/**
 * Operands for the row loops of js-parallel.ts: on wasm one Float32Array over
 * the whole heap (shared with the helper thread in the threaded build) and
 * each tensor's start index; elsewhere each tensor's own array. Call after
 * all outputs are allocated (an allocation may move the heap).
 */
export function float32Operands(backend: KernelBackend, ...infos: TensorInfo[]): { array: Float32Array; offset: number }[] {
  const wasm = backend as unknown as WasmHeapBackend;
  if (wasm.wasm && wasm.dataIdMap) {
    const heap = new Float32Array(wasm.wasm.HEAPU8.buffer);
    return infos.map((info) => ({ array: heap, offset: wasm.dataIdMap!.get(info.dataId).memoryOffset / 4 }));
  }
  return float32Views(backend, ...infos).map((array) => ({ array, offset: 0 }));
}
