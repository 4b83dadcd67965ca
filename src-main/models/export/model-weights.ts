import type { Model } from '../../nn/forward.ts';
import { expectedWeights } from '../../nn/graph.ts';
import type { WeightValues } from './weights.ts';

/** Reads a model's weights back from the engine as float32 arrays (export works on plain arrays). */
export async function readWeightValues(model: Model): Promise<WeightValues> {
  const out = new Map<string, Float32Array>();
  for (const info of expectedWeights(model.spec)) {
    const t = model.weights.get(info.name);
    if (!t) throw new Error(`Weight "${info.name}" is missing from the model.`);
    out.set(info.name, Float32Array.from((await t.data()) as Float32Array));
  }
  return out;
}
