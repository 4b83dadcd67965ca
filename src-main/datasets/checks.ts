import type Database from 'better-sqlite3';
import { ApiError } from '../common/contract/errors.ts';

/**
 * Preflight checks shared by the SPGAN and re-ID jobs: run in the writer
 * process before a job is queued, so bad input gets a message naming the
 * request field instead of a failed job.
 */

interface SplitCount {
  split: string | null;
  n: number;
  withPerson: number;
  withCamera: number;
}

export interface DatasetFacts {
  id: number;
  name: string;
  format: string;
  total: number;
  splits: Map<string, SplitCount>;
}

export function datasetFacts(db: Database.Database, datasetId: number, field: string): DatasetFacts {
  const row = db.prepare('SELECT id, name, format FROM datasets WHERE id = ?').get(datasetId) as { id: number; name: string; format: string } | undefined;
  if (!row) throw new ApiError('not_found', `${field}: dataset ${datasetId} does not exist.`, field);
  const counts = db
    .prepare(
      `SELECT split, COUNT(*) AS n, COUNT(person_id) AS withPerson, COUNT(camera) AS withCamera
       FROM samples WHERE dataset_id = ? GROUP BY split`,
    )
    .all(datasetId) as SplitCount[];
  const splits = new Map(counts.map((c) => [c.split ?? '', c]));
  const total = counts.reduce((a, c) => a + c.n, 0);
  if (total === 0) throw new ApiError('invalid_request', `${field}: dataset ${datasetId} "${row.name}" has no samples.`, field);
  return { ...row, total, splits };
}

/** The split a job trains on: 'train' when the dataset has one, else every sample (null). */
export function trainingSplit(facts: DatasetFacts): string | null {
  return facts.splits.has('train') ? 'train' : null;
}

function countsFor(facts: DatasetFacts, split: string | null): SplitCount {
  if (split !== null) return facts.splits.get(split) ?? { split, n: 0, withPerson: 0, withCamera: 0 };
  const all = { split: null, n: 0, withPerson: 0, withCamera: 0 };
  for (const c of facts.splits.values()) {
    all.n += c.n;
    all.withPerson += c.withPerson;
    all.withCamera += c.withCamera;
  }
  return all;
}

/** Every sample of the split must carry samples.person_id (and samples.camera when asked). */
export function requireReidLabels(facts: DatasetFacts, split: string | null, field: string, needCamera: boolean): void {
  const c = countsFor(facts, split);
  const where = split === null ? '' : ` in split '${split}'`;
  if (c.n === 0) throw new ApiError('invalid_request', `${field}: dataset ${facts.id} "${facts.name}" has no samples${where}.`, field);
  if (c.withPerson < c.n) {
    throw new ApiError(
      'invalid_request',
      `${field}: dataset ${facts.id} "${facts.name}" is not a re-ID dataset: ${c.n - c.withPerson} of ${c.n} samples${where} have no person_id (import it as market1501 or dukemtmc).`,
      field,
    );
  }
  if (needCamera && c.withCamera < c.n) {
    throw new ApiError('invalid_request', `${field}: dataset ${facts.id} "${facts.name}": ${c.n - c.withCamera} of ${c.n} samples${where} have no camera.`, field);
  }
}

/** The re-ID protocol needs a 'query' and a 'gallery' split with person ids and cameras. */
export function requireEvalSplit(facts: DatasetFacts, split: 'query' | 'gallery', field: string): void {
  if (!facts.splits.has(split)) {
    const have = [...facts.splits.keys()].map((s) => (s === '' ? '(none)' : s)).join(', ');
    throw new ApiError(
      'invalid_request',
      `${field}: dataset ${facts.id} "${facts.name}" has no '${split}' split (its splits: ${have}); the re-ID protocol needs query and gallery splits.`,
      field,
    );
  }
  requireReidLabels(facts, split, field, true);
}

/** Generator down/up-sampling halves twice: both sides must be multiples of 4. */
export function requireImageSize(size: [number, number], multiple: number, field: string): void {
  if (size[0] % multiple !== 0 || size[1] % multiple !== 0) {
    throw new ApiError('invalid_request', `${field}: ${size[0]}x${size[1]} is not a multiple of ${multiple} on both sides (e.g. 256x128, 64x32).`, field);
  }
}

/** The most common stored image size [h, w] of a split, or null when unknown. */
export function commonImageSize(db: Database.Database, datasetId: number, split: string): [number, number] | null {
  const row = db
    .prepare('SELECT height, width, COUNT(*) AS n FROM samples WHERE dataset_id = ? AND split = ? AND height IS NOT NULL GROUP BY height, width ORDER BY n DESC LIMIT 1')
    .get(datasetId, split) as { height: number; width: number } | undefined;
  return row ? [row.height, row.width] : null;
}

/**
 * Query and gallery from two different datasets must be images of the same
 * kind: a translated query set (the SPGAN output size) against a raw gallery
 * (the camera crops' size) is a mistake that silently skews the ranking.
 */
export function requireMatchingSizes(db: Database.Database, queryDatasetId: number, galleryDatasetId: number, field: string): void {
  if (queryDatasetId === galleryDatasetId) return;
  const q = commonImageSize(db, queryDatasetId, 'query');
  const g = commonImageSize(db, galleryDatasetId, 'gallery');
  if (q && g && (q[0] !== g[0] || q[1] !== g[1])) {
    throw new ApiError(
      'invalid_request',
      `${field}: gallery images of dataset ${galleryDatasetId} are ${g[0]}x${g[1]} but query images of dataset ${queryDatasetId} are ${q[0]}x${q[1]}; evaluate a query and gallery of the same domain and image size.`,
      field,
    );
  }
}
