import type { DatasetCounts, DatasetFormat, ImportProblem } from '../common/contract/datasets.ts';

/** Where a decoded dataset's pixels live: one raw uint8 [n,h,w,c] HWC file in the workspace. */
export interface BlobInfo {
  /** Workspace-relative path of the raw file. */
  path: string;
  n: number;
  h: number;
  w: number;
  c: number;
}

/** The JSON stored in `datasets.info`. */
export interface DatasetInfo {
  storage: 'files' | 'decoded';
  blob: BlobInfo | null;
  counts: DatasetCounts;
  sizeBytes: number;
  imageSize: { width: number; height: number; channels: number } | null;
  formatSource: 'detected' | 'override';
  warnings: string[];
  problems: ImportProblem[];
  problemCount: number;
  extra: Record<string, unknown>;
}

export interface DatasetRow {
  id: number;
  name: string;
  format: DatasetFormat | 'translated' | 'generated';
  root_path: string;
  created_at: string;
  job_id: number | null;
  parent_dataset_id: number | null;
  info: string;
}

export function emptyCounts(): DatasetCounts {
  return { samples: 0, classes: 0, identities: 0, cameras: 0, splits: {}, withBoxes: 0, domains: {} };
}

/** Parses `datasets.info`, filling what older or foreign writers (e.g. an SPGAN translation) left out. */
export function parseInfo(json: string): DatasetInfo {
  let raw: Partial<DatasetInfo> = {};
  try {
    raw = JSON.parse(json) as Partial<DatasetInfo>;
  } catch {
    raw = {};
  }
  return {
    storage: raw.storage ?? (raw.blob ? 'decoded' : 'files'),
    blob: raw.blob ?? null,
    counts: { ...emptyCounts(), ...(raw.counts ?? {}) },
    sizeBytes: raw.sizeBytes ?? 0,
    imageSize: raw.imageSize ?? null,
    formatSource: raw.formatSource ?? 'detected',
    warnings: raw.warnings ?? [],
    problems: raw.problems ?? [],
    problemCount: raw.problemCount ?? raw.problems?.length ?? 0,
    extra: raw.extra ?? {},
  };
}
