import type { DatasetFormat, ImportProblem } from '../../common/contract/datasets.ts';
import type { ResourceLimits } from '../../common/contract/settings.ts';

/** One sample as an importer found it; becomes one `samples` row. */
export interface IndexedSample {
  /** Relative to the dataset root (decoded formats: `<source file>#<record>`). */
  path: string;
  split: string | null;
  label: number | null;
  personId?: number | null;
  camera?: number | null;
  sequence?: number | null;
  frame?: number | null;
  domain?: string | null;
  width: number | null;
  height: number | null;
  channels: number | null;
  sizeBytes: number | null;
  mtimeMs: number | null;
  boxes?: [number, number, number, number][] | null;
  /** Real path of the file where it lies outside the dataset's real root (an import that followed links out). */
  realPath?: string | null;
  extra?: Record<string, unknown> | null;
}

/** What an importer sees while it runs (in the job process). */
export interface ImportContext {
  root: string;
  /** Read files whose real path lies outside the root's real path (symbolic links out); off by default. */
  followLinksOut?: boolean;
  signal: AbortSignal;
  /** Folder for decoded pixel blobs (created on demand; deleted by the runner when the import fails). */
  blobDir: string;
  /** The workspace's resource limits: a file over one is refused before it is read. */
  limits: ResourceLimits;
  problem(file: string, code: ImportProblem['code'], message: string): void;
  warn(message: string): void;
  /** Reports progress; `total` null while unknown. Also yields to the event loop so cancel arrives. */
  progress(done: number, total: number | null, step: string): Promise<void>;
  /** Counts a file looked at. */
  seen(n?: number): void;
}

/** A decoded blob written by an importer: raw uint8 [n,h,w,c] HWC. */
export interface WrittenBlob {
  /** Absolute path of the finished (renamed) blob. */
  file: string;
  n: number;
  h: number;
  w: number;
  c: number;
}

export interface ImportOutput {
  samples: IndexedSample[];
  classes: string[];
  blob: WrittenBlob | null;
  extra: Record<string, unknown>;
}

export interface Detection {
  score: number;
  reason: string;
}

/** One dataset format. `detect` must be cheap (a few readdir calls), `run` does the work. */
export interface FormatImporter {
  format: DatasetFormat;
  title: string;
  layout: string;
  decoded: boolean;
  detect(root: string): Detection | null;
  run(ctx: ImportContext): Promise<ImportOutput>;
}
