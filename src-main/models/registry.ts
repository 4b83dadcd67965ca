/**
 * The model registry: `createModel(name, options, seed)` gives a registry
 * architecture with seeded weights; `listModels`, `buildSpec` and
 * `modelInfo` (no TF.js) come from specs.ts.
 */
import type { ModelOptionsInput } from '../common/contract/models.ts';
import type { Model } from '../nn/forward.ts';
import { initModel } from '../nn/init.ts';
import { buildSpec } from './specs.ts';

export { listModels, isModelName, modelInfo, buildSpec } from './specs.ts';

/** A registry model with fresh weights initialised from `seed`. */
export function createModel(name: string, options: ModelOptionsInput = {}, seed = 0): Model {
  return initModel(buildSpec(name, options), seed);
}
