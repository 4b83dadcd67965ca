import { z } from 'zod';
import { call } from './define.ts';
import type { JobSummary } from './jobs.ts';

/**
 * Dataset formats the importer knows. `auto` (import only) detects the format
 * from the folder's contents; every other value is a manual override.
 */
export const datasetFormats = ['imagefolder', 'cifar10', 'cifar100', 'idx', 'market1501', 'dukemtmc', 'msmt17', 'domains', 'cub200', 'boxlist'] as const;
export type DatasetFormat = (typeof datasetFormats)[number];

/** Splits a sample can belong to; re-ID sets use train / query / gallery. */
export type SplitName = 'train' | 'val' | 'test' | 'query' | 'gallery';

/** A problem with one file found during import. The import goes on; the file is left out or flagged. */
export interface ImportProblem {
  /** Path relative to the imported root (or the root itself for dataset-wide problems). */
  file: string;
  /** Machine-readable kind, for filtering in the report view. */
  code:
    | 'not_an_image'
    | 'corrupt_image'
    | 'truncated_image'
    | 'unreadable'
    | 'vanished'
    | 'bad_magic'
    | 'label_mismatch'
    | 'bad_name'
    | 'empty_folder'
    | 'symlink_loop'
    | 'duplicate_folder'
    | 'duplicate_file'
    | 'outside_root'
    | 'special_file'
    | 'bad_line'
    | 'missing_file'
    | 'too_large';
  message: string;
}

/** The report every `dataset.import` job returns (also written as report.json in its job folder). */
export interface ImportReport {
  datasetId: number | null;
  name: string;
  format: DatasetFormat;
  /** How the format was chosen: detected from the files, or given by the user. */
  formatSource: 'detected' | 'override';
  rootPath: string;
  counts: DatasetCounts;
  /** Files looked at (images, label files, binaries). */
  filesSeen: number;
  /** The first 1,000 problems; `problemCount` has the full number (report.json in the job folder has them all). */
  problems: ImportProblem[];
  problemCount: number;
  /** Dataset-wide notices (e.g. DukeMTMC-reID was withdrawn by its authors). */
  warnings: string[];
  durationMs: number;
  /** Samples indexed or decoded per second. */
  samplesPerSecond: number;
}

export interface DatasetCounts {
  samples: number;
  classes: number;
  /** Re-ID: distinct person ids (junk -1 excluded; Market/Duke distractor 0 excluded, MSMT17's person 0 counted). */
  identities: number;
  cameras: number;
  /** Samples per split; the key `none` counts samples without a split. */
  splits: Record<string, number>;
  /** Samples with at least one box (localization sets). */
  withBoxes: number;
  /** Domain-folder sets: samples per domain. */
  domains: Record<string, number>;
}

/** One row of the dataset list. */
export interface DatasetSummary {
  id: number;
  name: string;
  format: DatasetFormat | 'translated' | 'generated';
  /** Folder whose files are indexed in place (decoded formats: the folder the binaries came from). */
  rootPath: string;
  /** Decoded formats keep pixels in one blob in the workspace; image-file formats read the files in place. */
  storage: 'files' | 'decoded';
  createdAt: string;
  counts: DatasetCounts;
  /** Bytes of the indexed files (or of the decoded blob). */
  sizeBytes: number;
  /** Common image size when all samples share one, else null. */
  imageSize: { width: number; height: number; channels: number } | null;
  parentDatasetId: number | null;
  jobId: number | null;
  warnings: string[];
  /** Names of the splits made here (datasets.splits.create), oldest first; in the list and the detail. */
  namedSplits?: string[];
}

export interface DatasetClass {
  idx: number;
  name: string;
  count: number;
}

export interface DatasetDetail extends DatasetSummary {
  classes: DatasetClass[];
  /** Re-ID: camera numbers present. */
  cameras: number[];
  /** The import's problems, as stored (first 1,000). */
  problems: ImportProblem[];
  problemCount: number;
  /** Format-specific facts (e.g. CIFAR-100 coarse label names). */
  extra: Record<string, unknown>;
}

/** One thumbnail-grid cell. Thumbnails are served by the host from `thumbnailFor(ws, id, size)`. */
export interface SampleSummary {
  id: number;
  /** Index of the sample inside its dataset (stable order: the import order). */
  index: number;
  path: string;
  split: string | null;
  label: number | null;
  className: string | null;
  personId: number | null;
  camera: number | null;
  domain: string | null;
  width: number | null;
  height: number | null;
  boxCount: number;
}

export interface SampleDetail extends SampleSummary {
  datasetId: number;
  /** Absolute path of the image file; null for decoded formats (pixels live in the blob). */
  absolutePath: string | null;
  sequence: number | null;
  frame: number | null;
  channels: number | null;
  sizeBytes: number | null;
  mtimeMs: number | null;
  /** Boxes [x0,y0,x1,y1] in image pixel coordinates, already clipped to the image. */
  boxes: [number, number, number, number][];
  extra: Record<string, unknown>;
}

export interface SamplePage {
  /** Number of samples matching the filters (for the virtual scroller's height). */
  total: number;
  offset: number;
  items: SampleSummary[];
}

export interface HistogramBin {
  key: string;
  count: number;
}

export interface DatasetStats {
  datasetId: number;
  total: number;
  perClass: (HistogramBin & { idx: number })[];
  perSplit: HistogramBin[];
  /** Re-ID: images per identity (key = person id), sorted by id. */
  perIdentity: HistogramBin[];
  /** Re-ID: images per camera (key = camera number). */
  perCamera: HistogramBin[];
  perDomain: HistogramBin[];
  /** Localization: box sizes as a fraction of the image area (bins of 0.1), and raw widths/heights summary. */
  boxAreaFraction: HistogramBin[];
  boxSummary: { count: number; meanWidth: number; meanHeight: number; minArea: number; maxArea: number } | null;
  /** Image sizes (key = "WxH"), the 20 most common. */
  imageSizes: HistogramBin[];
}

export interface FormatDetection {
  path: string;
  /** Best guess, or null when nothing fits. */
  format: DatasetFormat | null;
  /** Every format that could read the folder, best first, with why. */
  candidates: { format: DatasetFormat; score: number; reason: string }[];
  /** Set when the same root is already imported. */
  alreadyImported: { datasetId: number; name: string } | null;
}

const datasetId = z.number().int().positive();

/** Parameters of the `datasets.import` job (submit via `jobs.submit` with kind 'datasets.import'). */
export const datasetImportParams = z
  .object({
    path: z.string().min(1),
    format: z.enum([...datasetFormats, 'auto']).default('auto'),
    name: z.string().min(1).max(200).optional(),
    /** Import a root that is already imported (otherwise refused with a conflict). */
    allowDuplicate: z.boolean().default(false),
    /** Read files that symbolic links in the folder lead to outside it (their real paths are recorded and checked on every use). */
    followLinksOut: z.boolean().default(false),
  })
  .strict();
export type DatasetImportParams = z.output<typeof datasetImportParams>;

export const sampleFilter = z
  .object({
    datasetId,
    /** A split name, or 'none' for samples without a split. */
    split: z.string().optional(),
    label: z.number().int().optional(),
    personId: z.number().int().optional(),
    camera: z.number().int().optional(),
    domain: z.string().optional(),
    /** Case-insensitive substring of the file path. */
    search: z.string().max(200).optional(),
  })
  .strict();

/** A named split: `imported` is the split the folders gave (samples.split); the others were made here. */
export interface DatasetSplit {
  name: string;
  method: 'imported' | 'random' | 'reid';
  /** What made it (seed, fractions); empty for the imported one. */
  params: Record<string, unknown>;
  /** Samples per part, e.g. { train: 900, val: 100, test: 200 }; `(none)` counts samples without a part. */
  counts: Record<string, number>;
  createdAt: string | null;
  /**
   * Only in the answer of `datasets.splits.create`, only for a random split that left a
   * class without an image in a part it asked a share for (rounding: 4 images at 10% test
   * give 0): per such part, the classes (names, the first 20) and how many there are.
   */
  classesWithout?: SplitClassesWithout[];
}

export interface SplitClassesWithout {
  part: 'test' | 'val';
  classes: string[];
  total: number;
}

/** The reserved name of the split the import found (folder names, list files). */
export const importedSplitName = 'imported';

const splitName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'Split name must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit')
  .refine((n) => n !== importedSplitName, `"${importedSplitName}" is the name of the split the import found; choose another`);
const fraction = z.number().min(0).max(0.9);

/**
 * The name a stratified random split gets where nobody typed one (the training form's
 * one-click split, the CLI's advice): train/val/test percentages and the seed, e.g.
 * "stratified-80-10-10-s0", so the name says how it was made.
 */
export function stratifiedSplitName(test: number, val: number, seed: number): string {
  const t = Math.round(test * 100);
  const v = Math.round(val * 100);
  return `stratified-${100 - t - v}-${v}-${t}-s${seed}`;
}

export const splitCreateRequest = z
  .discriminatedUnion('method', [
    z
      .object({
        method: z.literal('random'),
        datasetId,
        name: splitName,
        seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
        /** Fraction of each class put in `test`. */
        test: fraction.default(0.2),
        /** Fraction of each class put in `val` (0 for none). */
        val: fraction.default(0),
        /** Per class (each class keeps its share in every part); off: over all samples at once. */
        stratify: z.boolean().default(true),
      })
      .strict(),
    z
      .object({
        method: z.literal('reid'),
        datasetId,
        name: splitName,
        seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
        /** Fraction of the persons whose images all go to `train`; the others make `query` and `gallery`. */
        trainPersons: z.number().gt(0).lt(1).default(0.5),
      })
      .strict(),
  ])
  .superRefine((r, ctx) => {
    if (r.method === 'random' && r.test + r.val >= 1) {
      ctx.addIssue({ code: 'custom', path: ['test'], message: `test + val must leave something to train on (got ${r.test} + ${r.val})` });
    }
  });
export type SplitCreateRequest = z.output<typeof splitCreateRequest>;

/** Folder suggestions for a typed import path (`datasets.folders`). */
export interface FolderSuggestions {
  /** The folder whose subfolders are listed (null when the path is empty: the roots are offered). */
  folder: string | null;
  folders: { name: string; path: string }[];
  /** The import roots (settings `importRoots`) that exist. */
  roots: string[];
  /** More subfolders matched than were listed. */
  truncated: boolean;
  /** Why nothing is listed when the typed folder is outside the import roots (the same answer whether it exists or not). */
  outside?: string;
}

export const datasetsCalls = {
  'datasets.formats': call<{ format: DatasetFormat; title: string; layout: string; decoded: boolean }[]>()(
    z.object({}).strict(),
    'The formats the importer knows, with the folder layout each expects.',
  ),
  'datasets.detect': call<FormatDetection>()(
    z.object({ path: z.string().min(1) }).strict(),
    'Guess the format of a folder before importing it (import itself is the job kind dataset.import).',
  ),
  'datasets.folders': call<FolderSuggestions>()(
    z.object({ path: z.string().max(4096) }).strict(),
    'Folders to offer while an import path is typed: the subfolders of the typed folder whose names start with the last part, below the import roots of the settings only.',
  ),
  'datasets.import': call<JobSummary>()(datasetImportParams, 'Start a dataset.import job (resource io); follow it with jobs.get; the `report` field of the job result is an ImportReport (also stored on the dataset).'),
  'datasets.list': call<DatasetSummary[]>()(z.object({}).strict(), 'Every dataset with counts, format, size and source path.'),
  'datasets.get': call<DatasetDetail>()(z.object({ id: datasetId }).strict(), 'One dataset: classes with counts, cameras, import problems.'),
  'datasets.samples': call<SamplePage>()(
    sampleFilter.extend({ offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(2000).default(200) }).strict(),
    'A page of samples matching the filters, with the total, for a virtualized grid.',
  ),
  'datasets.sample': call<SampleDetail>()(z.object({ id: z.number().int().positive() }).strict(), 'One sample with its metadata and boxes.'),
  'datasets.stats': call<DatasetStats>()(z.object({ id: datasetId }).strict(), 'Histograms: per class, split, identity, camera, domain; box sizes; image sizes.'),
  'datasets.rename': call<DatasetSummary>()(z.object({ id: datasetId, name: z.string().min(1).max(200) }).strict(), 'Rename a dataset.'),
  'datasets.delete': call<{ deleted: true }>()(
    z.object({ id: datasetId }).strict(),
    'Forget a dataset (files in place are untouched; decoded blobs and thumbnails are removed).',
  ),
  'datasets.splits.list': call<DatasetSplit[]>()(
    z.object({ id: datasetId }).strict(),
    'The splits of a dataset: the one its import found ("imported") and the named ones made here, with samples per part.',
  ),
  'datasets.splits.create': call<DatasetSplit>()(
    splitCreateRequest,
    'Make a named split stored with the dataset: seeded random by fraction (stratified per class), or re-ID query/gallery (one query per person and camera, persons disjoint from training).',
  ),
  'datasets.splits.remove': call<{ removed: true }>()(
    z.object({ id: datasetId, name: splitName }).strict(),
    'Forget a named split (runs that used it keep their results).',
  ),
  'datasets.verify': call<{ checked: number; changed: ImportProblem[] }>()(
    z.object({ id: datasetId, limit: z.number().int().min(1).optional() }).strict(),
    'Check that the indexed files still exist with the size and time recorded at import.',
  ),
};
