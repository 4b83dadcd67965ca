import { z } from 'zod';
import { call } from './define.ts';

/**
 * One step of an augmentation pipeline: a registered transform and its options.
 * Options are checked against the transform's own schema when the pipeline is
 * parsed (src-main/augment/pipeline.ts), with errors naming `steps.N.options.X`.
 */
export const pipelineStepSchema = z
  .object({
    transform: z.string().min(1),
    options: z.record(z.string(), z.unknown()).default({}),
    /** A disabled step is kept in the spec (and shown in the editor) but skipped. */
    enabled: z.boolean().default(true),
  })
  .strict();

/**
 * An ordered augmentation pipeline, stored as JSON in the `pipelines` table.
 * Pixels enter as 0..255 floats; `normalize` is a step like any other, so the
 * order (e.g. Random Erasing after normalisation, as in its reference) is explicit.
 */
export const pipelineSpecSchema = z
  .object({
    version: z.literal(1).default(1),
    steps: z.array(pipelineStepSchema).max(64),
  })
  .strict();
export type PipelineSpec = z.output<typeof pipelineSpecSchema>;
export type PipelineSpecInput = z.input<typeof pipelineSpecSchema>;
export type PipelineStep = z.output<typeof pipelineStepSchema>;

/** How the UI draws a control for one transform option. */
export type ParamDescriptor =
  | { name: string; label: string; kind: 'number'; min: number; max: number; step: number; default: number; description: string }
  | { name: string; label: string; kind: 'integer'; min: number; max: number; default: number; description: string }
  | { name: string; label: string; kind: 'boolean'; default: boolean; description: string }
  | { name: string; label: string; kind: 'enum'; options: string[]; default: string; description: string }
  | {
      name: string;
      label: string;
      /** A short list of numbers, e.g. a per-channel mean; `length` null means any length 1..4. */
      kind: 'numbers';
      length: number | null;
      default: number[];
      description: string;
    }
  | {
      name: string;
      label: string;
      /** Two numbers [low, high], e.g. an area range. */
      kind: 'range';
      min: number;
      max: number;
      step: number;
      default: [number, number];
      description: string;
    };

/** One registered transform, as `augment.transforms` lists it. */
export interface TransformInfo {
  name: string;
  title: string;
  summary: string;
  /** Every option the transform takes, with its default; an empty options object means all defaults. */
  params: ParamDescriptor[];
  /** Named option sets (e.g. Random Erasing "paper" and "torchvision"). */
  presets: Record<string, Record<string, unknown>>;
  /** Whether the output shape differs from the input shape (crop, resize). */
  changesShape: boolean;
  /** Whether the transform draws random parameters (false for resize, normalize). */
  random: boolean;
}

/** What one step drew for one sample; `params` is JSON, exactly what the kernel consumed. */
export interface DrawnStep {
  transform: string;
  /** False when the step was disabled in the spec. */
  enabled: boolean;
  params: Record<string, unknown>;
}

/** The draws of every step for one sample, plus the seed they came from. */
export interface DrawnParams {
  seed: number;
  steps: DrawnStep[];
}

export interface PreviewItem {
  sampleId: number;
  path: string;
  label: number | null;
  className: string | null;
  /** PNG data URLs (`data:image/png;base64,...`). */
  original: string;
  augmented: string;
  /** Size of the augmented image (after crops/resizes). */
  width: number;
  height: number;
  params: DrawnParams;
}

export interface PreviewResult {
  datasetId: number;
  seed: number;
  epoch: number;
  /**
   * The split whose reader indices seeded the draws (training seeds sample i of
   * its split's reader with sampleSeed(seed, epoch, i)); null = the whole dataset.
   */
  split: string | null;
  /** Size the reader delivered before the pipeline ran, [h, w]. */
  inputSize: [number, number];
  /**
   * How pixels after normalize were mapped back to 0..255 for display:
   * `inverse-normalize` undoes the last normalize step, `clamp` just clamps.
   */
  display: 'inverse-normalize' | 'clamp';
  items: PreviewItem[];
}

export interface PipelineRecord {
  id: number;
  name: string;
  spec: PipelineSpec;
  createdAt: string;
}

export const previewRequest = z
  .object({
    datasetId: z.number().int().positive(),
    /** Samples to show; when absent, `count` samples are drawn with `seed`. */
    sampleIds: z.array(z.number().int().positive()).max(64).optional(),
    count: z.number().int().min(1).max(64).default(8),
    /** Default: 'train' when the dataset has a train split holding every chosen sample (what training reads), else the whole dataset. */
    split: z.string().optional(),
    pipeline: z.union([pipelineSpecSchema, z.object({ id: z.number().int().positive() }).strict()]),
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    /** Seed of the random choice of images when `sampleIds` is absent (default: `seed`); kept while `seed` changes, a new seed re-draws the parameters on the same images. */
    imageSeed: z.number().int().min(0).max(0xffffffff).optional(),
    /** Seeds depend on the epoch too: preview epoch 3 to see what training saw then. */
    epoch: z.number().int().min(0).default(0),
    /** Size the dataset reader resizes to first (default: the dataset's own size). */
    size: z.tuple([z.number().int().min(4).max(1024), z.number().int().min(4).max(1024)]).optional(),
  })
  .strict();

export const augmentCalls = {
  'augment.transforms': call<TransformInfo[]>()(z.object({}).strict(), 'Every registered transform with a parameter schema the UI builds controls from.'),
  'augment.preview': call<PreviewResult>()(
    previewRequest,
    'Original and augmented images with the drawn parameters, for samples of a dataset; the same code the training loader runs.',
  ),
  'augment.validate': call<{ ok: true; steps: number }>()(
    z.object({ pipeline: pipelineSpecSchema }).strict(),
    'Check a pipeline against the transform schemas (errors name steps.N.options.X).',
  ),
  'augment.pipelines.list': call<PipelineRecord[]>()(z.object({}).strict(), 'Saved pipelines, by name.'),
  'augment.pipelines.get': call<PipelineRecord>()(
    z.union([z.object({ id: z.number().int().positive() }).strict(), z.object({ name: z.string().min(1) }).strict()]),
    'One saved pipeline by id or name.',
  ),
  'augment.pipelines.save': call<PipelineRecord>()(
    z.object({ name: z.string().min(1).max(200), spec: pipelineSpecSchema, overwrite: z.boolean().default(false) }).strict(),
    'Save a pipeline under a name (refused when the name exists unless overwrite).',
  ),
  'augment.pipelines.delete': call<{ deleted: true }>()(z.object({ id: z.number().int().positive() }).strict(), 'Delete a saved pipeline.'),
};
