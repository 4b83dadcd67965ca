import path from 'node:path';
import type Database from 'better-sqlite3';
import { ApiError } from '../common/contract/errors.ts';
import type {
  DatasetDetail,
  DatasetStats,
  DatasetSummary,
  HistogramBin,
  SampleDetail,
  SamplePage,
  SampleSummary,
} from '../common/contract/datasets.ts';
import { parseInfo } from './dataset-info.ts';
import type { DatasetRow } from './dataset-info.ts';

export function datasetRow(db: Database.Database, id: number): DatasetRow {
  const row = db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined;
  if (!row) throw new ApiError('not_found', `Dataset ${id} does not exist.`, 'id');
  return row;
}

export function toSummary(row: DatasetRow): DatasetSummary {
  const info = parseInfo(row.info);
  return {
    id: row.id,
    name: row.name,
    format: row.format,
    rootPath: row.root_path,
    storage: info.storage,
    createdAt: row.created_at,
    counts: info.counts,
    sizeBytes: info.sizeBytes,
    imageSize: info.imageSize,
    parentDatasetId: row.parent_dataset_id,
    jobId: row.job_id,
    warnings: info.warnings,
  };
}

/** The named splits of every dataset (one query for the whole list), oldest first. */
function namedSplitsByDataset(db: Database.Database): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const r of db.prepare('SELECT dataset_id, name FROM dataset_splits ORDER BY id').all() as { dataset_id: number; name: string }[]) {
    out.set(r.dataset_id, [...(out.get(r.dataset_id) ?? []), r.name]);
  }
  return out;
}

export function listDatasets(db: Database.Database): DatasetSummary[] {
  const named = namedSplitsByDataset(db);
  return (db.prepare('SELECT * FROM datasets ORDER BY id').all() as DatasetRow[]).map((row) => ({ ...toSummary(row), namedSplits: named.get(row.id) ?? [] }));
}

function classNameMap(db: Database.Database, datasetId: number): Map<number, string> {
  const rows = db.prepare('SELECT idx, name FROM classes WHERE dataset_id = ?').all(datasetId) as { idx: number; name: string }[];
  return new Map(rows.map((r) => [r.idx, r.name]));
}

export function datasetDetail(db: Database.Database, id: number): DatasetDetail {
  const row = datasetRow(db, id);
  const info = parseInfo(row.info);
  const counts = new Map(
    (db.prepare('SELECT label, COUNT(*) AS n FROM samples WHERE dataset_id = ? AND label IS NOT NULL GROUP BY label').all(id) as { label: number; n: number }[]).map((r) => [r.label, r.n]),
  );
  const classes = (db.prepare('SELECT idx, name FROM classes WHERE dataset_id = ? ORDER BY idx').all(id) as { idx: number; name: string }[]).map((c) => ({
    ...c,
    count: counts.get(c.idx) ?? 0,
  }));
  const cameras = (db.prepare('SELECT DISTINCT camera FROM samples WHERE dataset_id = ? AND camera IS NOT NULL ORDER BY camera').all(id) as { camera: number }[]).map((r) => r.camera);
  return { ...toSummary(row), namedSplits: namedSplitsByDataset(db).get(id) ?? [], classes, cameras, problems: info.problems, problemCount: info.problemCount, extra: info.extra };
}

/** A row of the samples table as stored. */
export interface SampleRow {
  id: number;
  dataset_id: number;
  path: string;
  split: string | null;
  label: number | null;
  person_id: number | null;
  camera: number | null;
  sequence: number | null;
  frame: number | null;
  domain: string | null;
  width: number | null;
  height: number | null;
  channels: number | null;
  size_bytes: number | null;
  mtime_ms: number | null;
  boxes: string | null;
  extra: string | null;
  /** Set only for a file outside the dataset folder that the import followed a link to. */
  real_path: string | null;
}

export interface SampleFilter {
  datasetId: number;
  split?: string | undefined;
  label?: number | undefined;
  personId?: number | undefined;
  camera?: number | undefined;
  domain?: string | undefined;
  search?: string | undefined;
}

function whereClause(f: SampleFilter): { sql: string; args: (string | number)[] } {
  const parts = ['dataset_id = ?'];
  const args: (string | number)[] = [f.datasetId];
  const add = (clause: string, value: string | number): void => {
    parts.push(clause);
    args.push(value);
  };
  // 'none' selects samples without a split (the key counts and statistics use for them).
  if (f.split === 'none') parts.push('split IS NULL');
  else if (f.split !== undefined) add('split = ?', f.split);
  if (f.label !== undefined) add('label = ?', f.label);
  if (f.personId !== undefined) add('person_id = ?', f.personId);
  if (f.camera !== undefined) add('camera = ?', f.camera);
  if (f.domain !== undefined) add('domain = ?', f.domain);
  if (f.search) {
    parts.push("path LIKE ? ESCAPE '\\'");
    args.push(`%${f.search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
  }
  return { sql: parts.join(' AND '), args };
}

function firstSampleId(db: Database.Database, datasetId: number): number {
  const r = db.prepare('SELECT MIN(id) AS m FROM samples WHERE dataset_id = ?').get(datasetId) as { m: number | null };
  return r.m ?? 0;
}

function toSampleSummary(r: SampleRow, names: Map<number, string>, firstId: number): SampleSummary {
  return {
    id: r.id,
    index: r.id - firstId,
    path: r.path,
    split: r.split,
    label: r.label,
    className: r.label !== null ? (names.get(r.label) ?? null) : null,
    personId: r.person_id,
    camera: r.camera,
    domain: r.domain,
    width: r.width,
    height: r.height,
    boxCount: r.boxes ? (JSON.parse(r.boxes) as unknown[]).length : 0,
  };
}

/** One page of the thumbnail grid; samples keep import order (ids are consecutive per import). */
export function samplePage(db: Database.Database, f: SampleFilter, offset: number, limit: number): SamplePage {
  datasetRow(db, f.datasetId);
  const { sql, args } = whereClause(f);
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM samples WHERE ${sql}`).get(...args) as { n: number }).n;
  const firstId = firstSampleId(db, f.datasetId);
  const unfiltered = args.length === 1;
  const lastId = unfiltered ? (db.prepare('SELECT MAX(id) AS m FROM samples WHERE dataset_id = ?').get(f.datasetId) as { m: number | null }).m : null;
  // An import writes its samples in one transaction, so their ids are consecutive: a deep page of the
  // unfiltered grid is then an id range (index seek) instead of an OFFSET scan over 100,000 rows.
  const rows =
    unfiltered && lastId !== null && lastId - firstId + 1 === total
      ? (db.prepare('SELECT * FROM samples WHERE dataset_id = ? AND id >= ? ORDER BY id LIMIT ?').all(f.datasetId, firstId + offset, limit) as SampleRow[])
      : (db.prepare(`SELECT * FROM samples WHERE ${sql} ORDER BY id LIMIT ? OFFSET ?`).all(...args, limit, offset) as SampleRow[]);
  const names = classNameMap(db, f.datasetId);
  return { total, offset, items: rows.map((r) => toSampleSummary(r, names, firstId)) };
}

export function sampleRow(db: Database.Database, id: number): SampleRow & { root_path: string; dataset_info: string; dataset_name: string } {
  const row = db
    .prepare('SELECT s.*, d.root_path AS root_path, d.info AS dataset_info, d.name AS dataset_name FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE s.id = ?')
    .get(id) as (SampleRow & { root_path: string; dataset_info: string; dataset_name: string }) | undefined;
  if (!row) throw new ApiError('not_found', `Sample ${id} does not exist.`, 'id');
  return row;
}

export function sampleDetail(db: Database.Database, id: number): SampleDetail {
  const r = sampleRow(db, id);
  const info = parseInfo(r.dataset_info);
  const names = classNameMap(db, r.dataset_id);
  return {
    ...toSampleSummary(r, names, firstSampleId(db, r.dataset_id)),
    datasetId: r.dataset_id,
    absolutePath: info.storage === 'decoded' ? null : path.resolve(r.root_path, r.path),
    sequence: r.sequence,
    frame: r.frame,
    channels: r.channels,
    sizeBytes: r.size_bytes,
    mtimeMs: r.mtime_ms,
    boxes: r.boxes ? (JSON.parse(r.boxes) as [number, number, number, number][]) : [],
    extra: r.extra ? (JSON.parse(r.extra) as Record<string, unknown>) : {},
  };
}

function bins(rows: { key: string | number | null; n: number }[]): HistogramBin[] {
  return rows.map((r) => ({ key: String(r.key ?? 'none'), count: r.n }));
}

export function datasetStats(db: Database.Database, id: number): DatasetStats {
  datasetRow(db, id);
  const total = (db.prepare('SELECT COUNT(*) AS n FROM samples WHERE dataset_id = ?').get(id) as { n: number }).n;
  const names = classNameMap(db, id);
  const perClass = (db.prepare('SELECT label, COUNT(*) AS n FROM samples WHERE dataset_id = ? AND label IS NOT NULL GROUP BY label ORDER BY label').all(id) as { label: number; n: number }[]).map(
    (r) => ({ idx: r.label, key: names.get(r.label) ?? String(r.label), count: r.n }),
  );
  const group = (col: string): HistogramBin[] =>
    bins(db.prepare(`SELECT ${col} AS key, COUNT(*) AS n FROM samples WHERE dataset_id = ? AND ${col} IS NOT NULL GROUP BY ${col} ORDER BY ${col}`).all(id) as { key: string; n: number }[]);
  const perSplit = bins(db.prepare('SELECT split AS key, COUNT(*) AS n FROM samples WHERE dataset_id = ? GROUP BY split ORDER BY split').all(id) as { key: string; n: number }[]);
  const imageSizes = bins(
    db
      .prepare("SELECT width || 'x' || height AS key, COUNT(*) AS n FROM samples WHERE dataset_id = ? AND width IS NOT NULL GROUP BY width, height ORDER BY n DESC LIMIT 20")
      .all(id) as { key: string; n: number }[],
  );
  // Box sizes as a fraction of the image area, in 10 bins.
  const boxRows = db.prepare('SELECT boxes, width, height FROM samples WHERE dataset_id = ? AND boxes IS NOT NULL').all(id) as { boxes: string; width: number | null; height: number | null }[];
  const fractionBins = new Array<number>(10).fill(0);
  let count = 0;
  let sumW = 0;
  let sumH = 0;
  let minArea = Infinity;
  let maxArea = 0;
  for (const r of boxRows) {
    for (const [x0, y0, x1, y1] of JSON.parse(r.boxes) as [number, number, number, number][]) {
      const bw = x1 - x0;
      const bh = y1 - y0;
      const area = Math.max(0, bw) * Math.max(0, bh);
      count++;
      sumW += bw;
      sumH += bh;
      minArea = Math.min(minArea, area);
      maxArea = Math.max(maxArea, area);
      if (r.width && r.height) fractionBins[Math.min(9, Math.floor((area / (r.width * r.height)) * 10))]!++;
    }
  }
  return {
    datasetId: id,
    total,
    perClass,
    perSplit,
    perIdentity: group('person_id'),
    perCamera: group('camera'),
    perDomain: group('domain'),
    boxAreaFraction: count > 0 ? fractionBins.map((n, i) => ({ key: `${(i / 10).toFixed(1)}-${((i + 1) / 10).toFixed(1)}`, count: n })) : [],
    boxSummary: count > 0 ? { count, meanWidth: sumW / count, meanHeight: sumH / count, minArea, maxArea } : null,
    imageSizes,
  };
}
