import { expectedWeights, type GraphSpec } from '../../nn/graph.ts';

/** A model's weights as plain float32 arrays, keyed like Model.weights, in the spec's TF.js layouts. */
export type WeightValues = ReadonlyMap<string, Float32Array>;

/** The weight named `key`, checked against the size the spec implies. */
export function weightOf(spec: GraphSpec, weights: WeightValues, key: string): Float32Array {
  const values = weights.get(key);
  if (!values) throw new Error(`Weight "${key}" is missing from the model.`);
  const info = expectedWeights(spec).find((i) => i.name === key);
  const size = info ? info.shape.reduce((a, b) => a * b, 1) : values.length;
  if (values.length !== size) throw new Error(`Weight "${key}" has ${values.length} values, the spec needs ${size}.`);
  return values;
}

/**
 * Conv kernel from TF.js [kh, kw, in, out] to ONNX/PyTorch [out, in, kh, kw].
 */
export function kernelHwioToOihw(values: Float32Array, shape: readonly [number, number, number, number]): Float32Array {
  const [kh, kw, ci, co] = shape;
  const out = new Float32Array(values.length);
  // [kh,kw,in,out] -> [out,in,kh,kw]
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = values[((y * kw + x) * ci + i) * co + o]!;
  return out;
}

/**
 * A 1x1 "selection" kernel in TF.js layout [1, 1, inChannels, outChannels]:
 * output channel `targets[i]` copies input channel i, the others are zero.
 * Used where a standard op set has no channel scatter/pad: it is exact, as
 * every output is one input times 1 plus zeros.
 */
export function selectionKernelHwio(inChannels: number, outChannels: number, targets: readonly number[]): Float32Array {
  const k = new Float32Array(inChannels * outChannels);
  targets.forEach((dst, src) => (k[src * outChannels + dst] = 1));
  return k;
}
