import { ApiError } from '../common/contract/errors.ts';
import { pipelineSpecSchema } from '../common/contract/augment.ts';
import type { DrawnParams, DrawnStep, PipelineSpec, PipelineSpecInput } from '../common/contract/augment.ts';
import { Rng, mixSeeds, sampleSeed } from '../common/random.ts';
import { getTransform, transforms } from './registry.ts';
import { optionsSchema } from './transforms/types.ts';
import type { AnyTransform, Image, Shape } from './transforms/types.ts';

export { pipelineSpecSchema, sampleSeed };
export type { PipelineSpec, DrawnParams };

/** A batch of HWC float images, [n,h,w,c] flattened. */
export interface Batch {
  data: Float32Array;
  n: number;
  h: number;
  w: number;
  c: number;
}

/** A pipeline with every step's options validated and defaults (and presets) filled in. */
export interface ResolvedPipeline {
  spec: PipelineSpec;
  steps: { transform: AnyTransform; options: Record<string, unknown>; enabled: boolean }[];
}

const schemaCache = new Map<string, ReturnType<typeof optionsSchema>>();
function schemaOf(t: AnyTransform): ReturnType<typeof optionsSchema> {
  let s = schemaCache.get(t.name);
  if (!s) schemaCache.set(t.name, (s = optionsSchema(t.params)));
  return s;
}

/** Options of one transform with the chosen preset under the given values and defaults under both. */
export function resolveOptions(t: AnyTransform, raw: Record<string, unknown>, field = 'options'): Record<string, unknown> {
  const presetName = typeof raw.preset === 'string' ? raw.preset : undefined;
  if (presetName !== undefined && Object.keys(t.presets).length > 0 && !(presetName in t.presets)) {
    throw new ApiError('invalid_request', `${t.name}: unknown preset "${presetName}" (known: ${Object.keys(t.presets).join(', ')})`, `${field}.preset`);
  }
  const preset = presetName !== undefined ? (t.presets[presetName] as Record<string, unknown> | undefined) : (defaultPreset(t) ?? undefined);
  // 'preset' is an option only for transforms that declare it; for the others it just picks values.
  const declaresPreset = t.params.some((p) => p.name === 'preset');
  const merged: Record<string, unknown> = { ...(preset ?? {}), ...raw };
  if (!declaresPreset) delete merged.preset;
  const parsed = schemaOf(t).safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = [field, ...issue.path.map(String)].join('.');
    throw new ApiError('invalid_request', `${t.name}: ${where}: ${issue.message}`, where);
  }
  const problem = t.check?.(parsed.data) ?? null;
  if (problem) throw new ApiError('invalid_request', `${t.name}: ${problem}`, field);
  return parsed.data;
}

/** The preset named by a transform's own 'preset' default (Random Erasing: 'paper'). */
function defaultPreset(t: AnyTransform): Record<string, unknown> | null {
  const d = t.params.find((p) => p.name === 'preset');
  if (!d || d.kind !== 'enum') return null;
  return (t.presets[d.default] as Record<string, unknown> | undefined) ?? null;
}

/** Validates a pipeline spec (JSON from the UI, a file or the database); errors name `steps.N.options.X`. */
export function resolvePipeline(input: PipelineSpecInput | PipelineSpec | unknown): ResolvedPipeline {
  const parsed = pipelineSpecSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.map(String).join('.') || 'pipeline';
    throw new ApiError('invalid_request', `pipeline: ${where}: ${issue.message}`, where);
  }
  const spec = parsed.data;
  let normalizeBefore: { mean: number[]; std: number[]; scale: number } | null = null;
  const steps = spec.steps.map((step, i) => {
    const t = transforms.get(step.transform);
    if (!t) throw new ApiError('invalid_request', `pipeline: steps.${i}.transform: unknown transform "${step.transform}" (known: ${[...transforms.keys()].join(', ')})`, `steps.${i}.transform`);
    const options = resolveOptions(t, step.options, `steps.${i}.options`);
    // Random Erasing's 'random' fill is in pixel units; after a normalize step it is normalised too.
    if (t.name === 'randomErasing') options.fillNormalize = normalizeBefore;
    if (step.enabled && t.name === 'normalize') normalizeBefore = options as { mean: number[]; std: number[]; scale: number };
    return { transform: t, options, enabled: step.enabled };
  });
  return { spec, steps };
}

/** Shape after every enabled step, for an input shape. */
export function pipelineOutputShape(pipeline: ResolvedPipeline, shape: Shape): Shape {
  let s = shape;
  for (const step of pipeline.steps) if (step.enabled) s = step.transform.outputShape(s, step.options);
  return s;
}

/** The last enabled normalize step's params (the preview undoes it for display). */
export function lastNormalize(pipeline: ResolvedPipeline): { mean: number[]; std: number[]; scale: number } | null {
  for (let i = pipeline.steps.length - 1; i >= 0; i--) {
    const step = pipeline.steps[i]!;
    if (step.enabled && step.transform.name === 'normalize') return step.options as { mean: number[]; std: number[]; scale: number };
  }
  return null;
}

/**
 * Runs the pipeline on one image. Each step draws from its own generator seeded
 * by (sample seed, step index), so editing one step does not change the draws of
 * the others.
 */
export function applyToImage(pipeline: ResolvedPipeline, image: Image, seed: number): { image: Image; params: DrawnParams } {
  let img = image;
  // Whether img.data is a buffer this call allocated (then same-shape steps may write into it).
  let owned = false;
  const steps: DrawnStep[] = [];
  pipeline.steps.forEach((step, i) => {
    if (!step.enabled) {
      steps.push({ transform: step.transform.name, enabled: false, params: {} });
      return;
    }
    const rng = new Rng(mixSeeds(seed, i));
    const params = step.transform.makeParams(rng, { h: img.h, w: img.w, c: img.c }, step.options) as Record<string, unknown>;
    if (owned && step.transform.applyInPlace) step.transform.applyInPlace(img, params);
    else {
      const next = step.transform.apply(img, params);
      owned ||= next !== img;
      img = next;
    }
    steps.push({ transform: step.transform.name, enabled: true, params });
  });
  return { image: img, params: { seed, steps } };
}

/**
 * Applies a pipeline to a batch: the code path shared by the preview page and
 * the training loader (same spec, same seed, same image -> same pixels).
 * `seeds` holds one seed per sample, usually `sampleSeed(runSeed, epoch, index)`.
 */
export function applyPipeline(
  spec: PipelineSpec | PipelineSpecInput | ResolvedPipeline,
  batch: Batch,
  seeds: Uint32Array,
): Batch & { params: DrawnParams[] } {
  const pipeline = isResolved(spec) ? spec : resolvePipeline(spec);
  if (seeds.length !== batch.n) throw new Error(`applyPipeline: ${seeds.length} seeds for ${batch.n} samples`);
  if (batch.data.length !== batch.n * batch.h * batch.w * batch.c) {
    throw new Error(`applyPipeline: data has ${batch.data.length} values, expected n*h*w*c = ${batch.n * batch.h * batch.w * batch.c}`);
  }
  const out = pipelineOutputShape(pipeline, { h: batch.h, w: batch.w, c: batch.c });
  const inSize = batch.h * batch.w * batch.c;
  const outSize = out.h * out.w * out.c;
  const data = new Float32Array(batch.n * outSize);
  const params: DrawnParams[] = [];
  for (let i = 0; i < batch.n; i++) {
    const image: Image = { data: batch.data.subarray(i * inSize, (i + 1) * inSize), h: batch.h, w: batch.w, c: batch.c };
    const result = applyToImage(pipeline, image, seeds[i]!);
    data.set(result.image.data, i * outSize);
    params.push(result.params);
  }
  return { data, n: batch.n, h: out.h, w: out.w, c: out.c, params };
}

function isResolved(x: unknown): x is ResolvedPipeline {
  return typeof x === 'object' && x !== null && 'steps' in x && 'spec' in x;
}

/** Seeds for a batch of dataset indices in one epoch of a run. */
export function batchSeeds(runSeed: number, epoch: number, sampleIndices: ArrayLike<number>): Uint32Array {
  const seeds = new Uint32Array(sampleIndices.length);
  for (let i = 0; i < sampleIndices.length; i++) seeds[i] = sampleSeed(runSeed, epoch, sampleIndices[i]!);
  return seeds;
}

export { getTransform };
