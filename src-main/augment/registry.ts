import type { TransformInfo } from '../common/contract/augment.ts';
import { ApiError } from '../common/contract/errors.ts';
import type { AnyTransform } from './transforms/types.ts';
import { randomErasing } from './transforms/random-erasing.ts';
import { patchShuffle } from './transforms/patch-shuffle.ts';
import { horizontalFlip } from './transforms/horizontal-flip.ts';
import { padCrop } from './transforms/pad-crop.ts';
import { randomResizedCrop } from './transforms/random-resized-crop.ts';
import { resize } from './transforms/resize.ts';
import { normalize } from './transforms/normalize.ts';

/** Every transform a pipeline can name. Adding one here gives it the registry-wide tests and a UI control set. */
export const transforms: ReadonlyMap<string, AnyTransform> = new Map(
  [horizontalFlip, padCrop, randomResizedCrop, resize, normalize, randomErasing, patchShuffle].map((t) => [t.name, t as AnyTransform]),
);

export function getTransform(name: string): AnyTransform {
  const t = transforms.get(name);
  if (!t) throw new ApiError('invalid_request', `Unknown transform "${name}" (known: ${[...transforms.keys()].join(', ')}).`, 'transform');
  return t;
}

export function describeTransforms(): TransformInfo[] {
  return [...transforms.values()].map((t) => ({
    name: t.name,
    title: t.title,
    summary: t.summary,
    params: t.params,
    presets: t.presets as Record<string, Record<string, unknown>>,
    changesShape: t.changesShape,
    random: t.random,
  }));
}
