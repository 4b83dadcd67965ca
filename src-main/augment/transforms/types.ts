import { z } from 'zod';
import type { ParamDescriptor } from '../../common/contract/augment.ts';
import type { Rng } from '../../common/random.ts';

/** One image, HWC float32 (pixels 0..255 before `normalize`, anything after). */
export interface Image {
  data: Float32Array;
  h: number;
  w: number;
  c: number;
}

export interface Shape {
  h: number;
  w: number;
  c: number;
}

/**
 * A transform = a seeded parameter draw + a pure kernel (torchvision v2's split).
 * `makeParams` is the only place randomness enters; `apply` is a function of
 * (image, params) alone, so drawn params replay exactly (preview == training).
 * Params must be plain JSON: they are shown in the preview and stored.
 */
export interface Transform<O, P> {
  name: string;
  title: string;
  summary: string;
  /** Option descriptors; the zod schema is derived from them (optionsSchema). */
  params: ParamDescriptor[];
  presets: Record<string, Partial<O>>;
  random: boolean;
  changesShape: boolean;
  /** Extra checks the descriptors cannot express; returns a message naming the option, or null. */
  check?(options: O): string | null;
  outputShape(shape: Shape, options: O): Shape;
  makeParams(rng: Rng, shape: Shape, options: O): P;
  apply(image: Image, params: P): Image;
  /**
   * Optional same-shape variant writing into `image.data`: the pipeline uses it
   * on buffers it owns (never the caller's), saving an allocation and a copy
   * per step. Must give exactly what `apply` gives.
   */
  applyInPlace?(image: Image, params: P): void;
}

/** `apply` built from `applyInPlace`: copy, then modify the copy (one implementation of the math). */
export function copyThen<P>(inPlace: (image: Image, params: P) => void, isIdentity: (params: P) => boolean): (image: Image, params: P) => Image {
  return (image, params) => {
    if (isIdentity(params)) return image;
    const out = { data: new Float32Array(image.data), h: image.h, w: image.w, c: image.c };
    inPlace(out, params);
    return out;
  };
}

// The registry holds transforms of different option/param types side by side;
// options are validated by each transform's derived schema before use.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTransform = Transform<any, any>;

/** The zod schema of a transform's options, derived from its descriptors (one source of truth). */
export function optionsSchema(params: ParamDescriptor[]): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const p of params) {
    switch (p.kind) {
      case 'number':
        shape[p.name] = z.number().min(p.min).max(p.max).default(p.default);
        break;
      case 'integer':
        shape[p.name] = z.number().int().min(p.min).max(p.max).default(p.default);
        break;
      case 'boolean':
        shape[p.name] = z.boolean().default(p.default);
        break;
      case 'enum':
        shape[p.name] = z.enum(p.options as [string, ...string[]]).default(p.default);
        break;
      case 'numbers':
        shape[p.name] = (p.length === null ? z.array(z.number()).min(1).max(4) : z.array(z.number()).length(p.length)).default(p.default);
        break;
      case 'range':
        shape[p.name] = z
          .tuple([z.number().min(p.min).max(p.max), z.number().min(p.min).max(p.max)])
          .refine((r) => r[0] <= r[1], 'low must not exceed high')
          .default(p.default);
        break;
    }
  }
  return z.object(shape).strict() as unknown as z.ZodType<Record<string, unknown>>;
}

/** Pixel index helper for HWC layout. */
export function hwcIndex(w: number, c: number, y: number, x: number, ch: number): number {
  return (y * w + x) * c + ch;
}
