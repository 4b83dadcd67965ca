import path from 'node:path';
import type { SampleRow as StoredSampleRow } from './queries.ts';
import type Database from 'better-sqlite3';
import { parseInfo } from './dataset-info.ts';
import type { DatasetRow } from './dataset-info.ts';
import { checkUnchanged, decodeFile, fitChannels, loadBlob, resizeRaw } from './pixels.ts';
import { resolveSampleFile } from './sample-file.ts';
import { splitId } from './splits.ts';
import { importedSplitName } from '../common/contract/datasets.ts';
export { UndecodableImageError } from './pixels.ts';

export interface ReaderOptions {
  /** Only samples of these splits (e.g. 'train', or ['query', 'gallery']). */
  split?: string | string[];
  /** Read `split` as parts of this named split of the dataset (datasets.splits.create) instead of the imported one. */
  splitName?: string;
  /** [height, width] to resize to; default: the dataset's common image size. */
  size?: [number, number];
  /** Default: the dataset's own channel count (decoded sets), else 3. */
  channels?: 1 | 3;
  /** 'class' (default): labels are class indices; 'person': person ids remapped to 0..K-1 (junk -1 stays -1). */
  labelBy?: 'class' | 'person';
  /** Bytes of decoded pixels kept in memory for image-file datasets (default 1 GiB). */
  cacheBytes?: number;
}

export interface SampleMeta {
  sampleId: number;
  path: string;
  /** Absolute path of the image file; null for decoded formats. */
  absolutePath: string | null;
  split: string | null;
  label: number | null;
  personId: number | null;
  camera: number | null;
  sequence: number | null;
  frame: number | null;
  domain: string | null;
  /** Size of the stored image (before the reader resizes it). */
  width: number | null;
  height: number | null;
  /** Boxes [x0,y0,x1,y1] in stored-image pixels (scale by width/height to the reader's size). */
  boxes: [number, number, number, number][];
}

export interface DatasetReader {
  datasetId: number;
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  /** Class index, or person index 0..K-1 for labelBy 'person'; -1 when none. */
  labels: Int32Array;
  numClasses: number;
  /** Class names, or for labelBy 'person' the person ids as strings (index = label). */
  classNames: string[];
  sampleIds: number[];
  meta(i: number): SampleMeta;
  /** Pixels of the samples at these reader indices: [n,H,W,C] HWC uint8. */
  read(indices: ArrayLike<number>): Promise<Uint8Array>;
}

/** The columns a reader needs, plus where a decoded sample sits in its dataset's blob. */
type SampleRow = Omit<StoredSampleRow, 'dataset_id' | 'extra'> & { blob_index: number | null };

/**
 * Reads the sample rows of a dataset in import order (the order a reader's
 * indices refer to). With a named split, `split` is the sample's part in it and
 * samples without a part are left out.
 */
function loadRows(db: Database.Database, datasetId: number, splits: string[] | null, splitName: string | undefined): SampleRow[] {
  const cols = `s.id, s.path, ${splitName ? 'p.part' : 's.split'} AS split, s.label, s.person_id, s.camera, s.sequence, s.frame, s.domain, s.width, s.height, s.channels,
    s.size_bytes, s.mtime_ms, s.boxes, s.real_path, json_extract(s.extra, '$.blobIndex') AS blob_index`;
  const marks = splits ? splits.map(() => '?').join(',') : '';
  if (splitName) {
    const id = splitId(db, datasetId, splitName);
    const where = splits ? ` AND p.part IN (${marks})` : '';
    return db.prepare(`SELECT ${cols} FROM sample_split_parts p JOIN samples s ON s.id = p.sample_id WHERE p.split_id = ?${where} ORDER BY s.id`).all(id, ...(splits ?? [])) as SampleRow[];
  }
  if (!splits) return db.prepare(`SELECT ${cols} FROM samples s WHERE s.dataset_id = ? ORDER BY s.id`).all(datasetId) as SampleRow[];
  return db.prepare(`SELECT ${cols} FROM samples s WHERE s.dataset_id = ? AND s.split IN (${marks}) ORDER BY s.id`).all(datasetId, ...splits) as SampleRow[];
}

/**
 * Opens a dataset for training or evaluation. Works on the writer connection or
 * a job process's read-only one: the workspace folder is the database's folder.
 */
export async function openDatasetReader(db: Database.Database, datasetId: number, options: ReaderOptions = {}): Promise<DatasetReader> {
  const row = db.prepare('SELECT * FROM datasets WHERE id = ?').get(datasetId) as DatasetRow | undefined;
  if (!row) throw new Error(`Dataset ${datasetId} does not exist.`);
  const label = `Dataset ${datasetId} "${row.name}"`;
  const info = parseInfo(row.info);
  const workspaceDir = path.dirname(db.name);
  const splits = options.split === undefined ? null : Array.isArray(options.split) ? options.split : [options.split];
  const splitName = options.splitName && options.splitName !== importedSplitName ? options.splitName : undefined;
  const rows = loadRows(db, datasetId, splits, splitName);
  if (rows.length === 0) throw new Error(`${label} has no samples${splits ? ` in split ${splits.join(', ')}` : ''}${splitName ? ` of its split "${splitName}"` : ''}.`);

  // Size and channels: explicit, else the decoded blob's, else the common size of the files.
  let height: number;
  let width: number;
  if (options.size) [height, width] = options.size;
  else if (info.blob) [height, width] = [info.blob.h, info.blob.w];
  else {
    const first = rows[0]!;
    const same = rows.every((r) => r.width === first.width && r.height === first.height);
    if (!same || first.width === null || first.height === null) {
      throw new Error(`${label}: images differ in size; pass size: [height, width] to the reader.`);
    }
    [height, width] = [first.height, first.width];
  }
  const channels: 1 | 3 = options.channels ?? (info.blob ? (info.blob.c === 1 ? 1 : 3) : 3);

  const labelBy = options.labelBy ?? 'class';
  const labels = new Int32Array(rows.length);
  let classNames: string[];
  if (labelBy === 'person') {
    const ids = [...new Set(rows.map((r) => r.person_id).filter((p): p is number => p !== null && p >= 0))].sort((a, b) => a - b);
    const index = new Map(ids.map((p, i) => [p, i]));
    rows.forEach((r, i) => (labels[i] = r.person_id !== null && r.person_id >= 0 ? index.get(r.person_id)! : -1));
    classNames = ids.map((p) => String(p).padStart(4, '0'));
  } else {
    const classes = db.prepare('SELECT idx, name FROM classes WHERE dataset_id = ? ORDER BY idx').all(datasetId) as { idx: number; name: string }[];
    classNames = [];
    for (const c of classes) classNames[c.idx] = c.name;
    rows.forEach((r, i) => (labels[i] = r.label ?? -1));
  }

  const cache = new Map<number, Uint8Array>();
  let cachedBytes = 0;
  const cacheLimit = options.cacheBytes ?? 1024 ** 3;
  const imageBytes = height * width * channels;
  const blobAbs = info.blob ? path.resolve(workspaceDir, info.blob.path) : null;

  async function one(i: number): Promise<Uint8Array> {
    const r = rows[i];
    if (!r) throw new Error(`${label}: sample index ${i} out of range 0..${rows.length - 1}.`);
    const hit = cache.get(i);
    if (hit) return hit;
    let pixels: Uint8Array;
    if (info.blob && blobAbs) {
      const blob = loadBlob(blobAbs, info.blob, label);
      const bi = r.blob_index ?? i;
      const stride = info.blob.h * info.blob.w * info.blob.c;
      pixels = blob.subarray(bi * stride, (bi + 1) * stride);
      if (info.blob.c !== channels) pixels = fitChannels(pixels, info.blob.c, channels);
      if (info.blob.h !== height || info.blob.w !== width) pixels = await resizeRaw(pixels, info.blob.h, info.blob.w, channels, height, width);
      else return pixels; // a view of the blob: already in memory, no need to cache
    } else {
      const abs = resolveSampleFile(row!.root_path, r.path, r.real_path, label);
      checkUnchanged(abs, r.size_bytes, r.mtime_ms, label);
      pixels = await decodeFile(abs, height, width, channels);
    }
    if (cachedBytes + imageBytes <= cacheLimit) {
      cache.set(i, pixels);
      cachedBytes += imageBytes;
    }
    return pixels;
  }

  return {
    datasetId,
    count: rows.length,
    height,
    width,
    channels,
    labels,
    numClasses: classNames.length,
    classNames,
    sampleIds: rows.map((r) => r.id),
    meta(i) {
      const r = rows[i];
      if (!r) throw new Error(`${label}: sample index ${i} out of range 0..${rows.length - 1}.`);
      return {
        sampleId: r.id,
        path: r.path,
        absolutePath: info.blob ? null : path.resolve(row.root_path, r.path),
        split: r.split,
        label: r.label,
        personId: r.person_id,
        camera: r.camera,
        sequence: r.sequence,
        frame: r.frame,
        domain: r.domain,
        width: r.width,
        height: r.height,
        boxes: r.boxes ? (JSON.parse(r.boxes) as [number, number, number, number][]) : [],
      };
    },
    async read(indices) {
      const n = indices.length;
      const out = new Uint8Array(n * imageBytes);
      // Blob reads are synchronous copies; file decodes run a few at a time (sharp uses its own thread pool).
      const concurrency = 8;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < n) {
          const k = next++;
          out.set(await one(indices[k]!), k * imageBytes);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
      return out;
    },
  };
}
