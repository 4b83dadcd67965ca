/**
 * CAM attention maps and SPG's self-produced guidance on TF.js tensors.
 *
 * SPG (Zhang et al., ECCV 2018; methods.md section 7): stage 1 turns the
 * normalised attention map of the GT class into a ternary mask (>= high:
 * object, < low: background, else ignored; when fewer than `minObjectPixels`
 * pass `high`, pixels >= 0.7 x the map's max are the object) that supervises the
 * deep branch with BCE on non-ignored pixels; stage 2 does the same from the
 * deep branch's sigmoid for the shallow branch; stage 3 from the mean of both
 * sigmoids for the top branch. Masks carry no gradient. Total = CE + the
 * weighted BCE terms.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SpgConfig } from '../common/contract/localize.ts';
import type { SpgBranch } from './head.ts';

/**
 * A copy of x that is a new leaf of the gradient tape: the masks are targets,
 * not paths for the gradient (and the comparisons that make them have no
 * gradient, so they must be off the tape's path altogether).
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return tf.tensor(x.dataSync(), x.shape, x.dtype) as T;
}

/** Per image min-max normalisation of [B,h,w] (a constant map becomes 0). */
export function normalizeMaps(m: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const lo = tf.min(m, [1, 2], true);
    const hi = tf.max(m, [1, 2], true);
    return tf.div(tf.sub(m, lo), tf.maximum(tf.sub(hi, lo), 1e-12)) as tf.Tensor3D;
  });
}

/** The class map of class `classes[i]` for each image: [B,h,w,K] -> [B,h,w]. */
export function mapsOfClass(classMaps: tf.Tensor4D, classes: tf.Tensor1D): tf.Tensor3D {
  return tf.tidy(() => {
    const k = classMaps.shape[3];
    const onehot = tf.reshape(tf.oneHot(tf.cast(classes, 'int32'), k), [classMaps.shape[0], 1, 1, k]);
    return tf.sum(tf.mul(classMaps, onehot), 3) as tf.Tensor3D;
  });
}

export interface TernaryMask {
  /** 1 = object. */
  target: tf.Tensor4D;
  /** 1 = not ignored (object or background). */
  weight: tf.Tensor4D;
}

/** A stage's ternary mask of maps [B,h,w] in [0,1], as [B,h,w,1] target and weight. */
export function ternaryMask(m: tf.Tensor3D, high: number, low: number, minObjectPixels: number): TernaryMask {
  return tf.tidy(() => {
    const x = tf.expandDims(m, 3) as tf.Tensor4D;
    const above = tf.cast(tf.greaterEqual(x, high), 'float32');
    const count = tf.sum(above, [1, 2, 3], true);
    const fallback = tf.cast(tf.greaterEqual(x, tf.mul(tf.max(x, [1, 2, 3], true), 0.7)), 'float32');
    const useFallback = tf.cast(tf.less(count, minObjectPixels), 'float32');
    const pos = tf.add(tf.mul(useFallback, fallback), tf.mul(tf.sub(1, useFallback), above));
    const neg = tf.mul(tf.cast(tf.less(x, low), 'float32'), tf.sub(1, pos));
    return { target: pos as tf.Tensor4D, weight: tf.add(pos, neg) as tf.Tensor4D };
  });
}

/** Mean BCE-with-logits over the non-ignored pixels (0 when all are ignored). */
export function maskedBce(logits: tf.Tensor4D, mask: TernaryMask): tf.Scalar {
  return tf.tidy(() => {
    const z = logits;
    const t = mask.target;
    // max(z,0) - z*t + log(1 + exp(-|z|)), the stable form.
    const per = tf.add(tf.sub(tf.relu(z), tf.mul(z, t)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
    return tf.div(tf.sum(tf.mul(per, mask.weight)), tf.maximum(tf.sum(mask.weight), 1)) as tf.Scalar;
  });
}

function resizeTo(x: tf.Tensor4D, h: number, w: number, nearest: boolean): tf.Tensor4D {
  if (x.shape[1] === h && x.shape[2] === w) return x;
  return nearest ? tf.image.resizeNearestNeighbor(x, [h, w]) : tf.image.resizeBilinear(x, [h, w]);
}

function resizeMask(m: TernaryMask, h: number, w: number): TernaryMask {
  return { target: resizeTo(m.target, h, w, true), weight: resizeTo(m.weight, h, w, true) };
}

export interface SpgLossParts {
  /** Weighted BCE of each present branch. */
  bce: Partial<Record<SpgBranch, tf.Scalar>>;
  /** Sum of the weighted terms. */
  total: tf.Scalar;
  /** The stage masks (for inspection; the caller disposes them, or calls inside tidy). */
  masks: Partial<Record<SpgBranch, TernaryMask>>;
}

/**
 * SPG's self-produced guidance: the ternary mask of each present branch, from
 * the GT class's map [B,h,w] (stage 1, for `deep`), the deep branch's sigmoid
 * (stage 2, for `shallow`) and the mean of both sigmoids (stage 3, for `top`),
 * each at its branch's resolution. No gradient flows through them.
 */
export function spgStageMasks(attention: tf.Tensor3D, branches: Partial<Record<SpgBranch, tf.Tensor4D>>, cfg: Pick<SpgConfig, 'stage1' | 'stage2' | 'stage3' | 'minObjectPixels'>): Partial<Record<SpgBranch, TernaryMask>> {
  const masks: Partial<Record<SpgBranch, TernaryMask>> = {};
  const m1 = normalizeMaps(stopGradient(attention));
  const deep = branches.deep;
  const shallow = branches.shallow;
  const top = branches.top;
  if (deep) masks.deep = resizeMask(ternaryMask(m1, cfg.stage1.high, cfg.stage1.low, cfg.minObjectPixels), deep.shape[1], deep.shape[2]);
  // Stage 2 needs the deep branch's sigmoid; without the deep branch it falls back to the attention map.
  const deepProb = deep ? (tf.sigmoid(stopGradient(deep)) as tf.Tensor4D) : (tf.expandDims(m1, 3) as tf.Tensor4D);
  if (shallow) masks.shallow = resizeMask(ternaryMask(tf.squeeze(deepProb, [3]) as tf.Tensor3D, cfg.stage2.high, cfg.stage2.low, cfg.minObjectPixels), shallow.shape[1], shallow.shape[2]);
  if (top) {
    const [h, w] = [top.shape[1], top.shape[2]];
    const a = resizeTo(deepProb, h, w, false);
    const b = shallow ? resizeTo(tf.sigmoid(stopGradient(shallow)) as tf.Tensor4D, h, w, false) : a;
    const mean = tf.squeeze(tf.div(tf.add(a, b), 2), [3]) as tf.Tensor3D;
    masks.top = ternaryMask(mean, cfg.stage3.high, cfg.stage3.low, cfg.minObjectPixels);
  }
  return masks;
}

/**
 * The three BCE terms. `attention`: the GT class's map [B,h,w] (its gradient is
 * stopped here); `branches`: each branch's logit map [B,h',w',1].
 */
export function spgLosses(attention: tf.Tensor3D, branches: Partial<Record<SpgBranch, tf.Tensor4D>>, cfg: SpgConfig): SpgLossParts {
  const weightOf: Record<SpgBranch, number> = { deep: cfg.weights[0], shallow: cfg.weights[1], top: cfg.weights[2] };
  const bce: SpgLossParts['bce'] = {};
  const masks = spgStageMasks(attention, branches, cfg);
  const terms: tf.Scalar[] = [];
  for (const [name, logits] of Object.entries(branches) as [SpgBranch, tf.Tensor4D | undefined][]) {
    const mask = masks[name];
    if (!logits || !mask || weightOf[name] === 0) continue;
    const term = tf.mul(maskedBce(logits, mask), weightOf[name]) as tf.Scalar;
    bce[name] = term;
    terms.push(term);
  }
  const total = terms.length > 0 ? (tf.addN(terms) as tf.Scalar) : tf.scalar(0);
  return { bce, total, masks };
}

/**
 * Attention maps at image resolution: the class map of each image's class,
 * upsampled bilinearly to [H, W] and min-max normalised, [B,H,W].
 */
export function attentionMaps(classMaps: tf.Tensor4D, classes: tf.Tensor1D, height: number, width: number): tf.Tensor3D {
  return tf.tidy(() => {
    const m = tf.expandDims(mapsOfClass(classMaps, classes), 3) as tf.Tensor4D;
    return normalizeMaps(tf.squeeze(tf.image.resizeBilinear(m, [height, width]), [3]) as tf.Tensor3D);
  });
}
