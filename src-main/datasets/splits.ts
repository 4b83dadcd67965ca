import type Database from 'better-sqlite3';
import { ApiError } from '../common/contract/errors.ts';
import { importedSplitName } from '../common/contract/datasets.ts';
import type { DatasetSplit, SplitClassesWithout, SplitCreateRequest } from '../common/contract/datasets.ts';
import { mulberry32, shuffled } from '../common/random.ts';
import { datasetRow } from './queries.ts';

/**
 * Named splits of a dataset (see migration 005). A split assigns each sample
 * at most one part ('train', 'val', 'test', 'query', 'gallery'); the reader
 * reads a named split's parts instead of the imported `samples.split` when a
 * run names it. Splits are immutable once made, so a finished run's "test"
 * always means the same images.
 */

interface SplitRow {
  id: number;
  name: string;
  params: string;
  counts: string;
  created_at: string;
}

function importedSplit(db: Database.Database, datasetId: number): DatasetSplit {
  const rows = db.prepare('SELECT split, COUNT(*) AS n FROM samples WHERE dataset_id = ? GROUP BY split ORDER BY split').all(datasetId) as { split: string | null; n: number }[];
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.split ?? '(none)'] = r.n;
  return { name: importedSplitName, method: 'imported', params: {}, counts, createdAt: null };
}

function toSplit(r: SplitRow): DatasetSplit {
  const params = JSON.parse(r.params) as Record<string, unknown> & { method: 'random' | 'reid' };
  return { name: r.name, method: params.method, params, counts: JSON.parse(r.counts) as Record<string, number>, createdAt: r.created_at };
}

export function listSplits(db: Database.Database, datasetId: number): DatasetSplit[] {
  datasetRow(db, datasetId);
  const named = db.prepare('SELECT id, name, params, counts, created_at FROM dataset_splits WHERE dataset_id = ? ORDER BY id').all(datasetId) as SplitRow[];
  return [importedSplit(db, datasetId), ...named.map(toSplit)];
}

/** The id of a named split, or a not-found error naming the field that named it. */
export function splitId(db: Database.Database, datasetId: number, name: string, field = 'splitName'): number {
  const row = db.prepare('SELECT id FROM dataset_splits WHERE dataset_id = ? AND name = ?').get(datasetId, name) as { id: number } | undefined;
  if (!row) {
    const known = (db.prepare('SELECT name FROM dataset_splits WHERE dataset_id = ? ORDER BY id').all(datasetId) as { name: string }[]).map((r) => r.name);
    throw new ApiError('not_found', `Dataset ${datasetId} has no split "${name}" (it has: ${[importedSplitName, ...known].join(', ')}).`, field);
  }
  return row.id;
}

interface SampleKey {
  id: number;
  label: number | null;
  person_id: number | null;
  camera: number | null;
}

/** Random split: per class (or over all samples) the first test share, then val, the rest train, after a seeded shuffle. */
function randomParts(samples: SampleKey[], req: Extract<SplitCreateRequest, { method: 'random' }>): Map<number, string> {
  const groups = new Map<string, SampleKey[]>();
  for (const s of samples) {
    const key = req.stratify ? String(s.label) : 'all';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(s);
  }
  const rng = mulberry32(req.seed);
  const parts = new Map<number, string>();
  // Groups in a fixed order so the same seed gives the same split whatever order SQLite returned.
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!.sort((a, b) => a.id - b.id);
    const order = shuffled(g.length, rng);
    const nTest = Math.round(g.length * req.test);
    const nVal = Math.round(g.length * req.val);
    order.forEach((idx, k) => parts.set(g[idx]!.id, k < nTest ? 'test' : k < nTest + nVal ? 'val' : 'train'));
  }
  return parts;
}

/**
 * Market-1501-style re-ID split: a seeded share of the persons gives all its
 * images to `train`; for every other person one image per camera is a `query`
 * and the rest are `gallery`. Junk (-1) and distractor (0) images go to the
 * gallery only, as in Market-1501's bounding_box_test.
 */
function reidParts(samples: SampleKey[], req: Extract<SplitCreateRequest, { method: 'reid' }>): Map<number, string> {
  const persons = [...new Set(samples.filter((s) => s.person_id !== null && s.person_id > 0).map((s) => s.person_id!))].sort((a, b) => a - b);
  if (persons.length < 2) throw new ApiError('invalid_request', `Dataset ${req.datasetId} has ${persons.length} person(s) with ids above 0; a re-ID split needs at least 2.`, 'datasetId');
  const rng = mulberry32(req.seed);
  const order = shuffled(persons.length, rng);
  const nTrain = Math.min(persons.length - 1, Math.max(1, Math.round(persons.length * req.trainPersons)));
  const trainPersons = new Set(order.slice(0, nTrain).map((i) => persons[i]!));
  const parts = new Map<number, string>();
  const byPersonCamera = new Map<string, SampleKey[]>();
  for (const s of [...samples].sort((a, b) => a.id - b.id)) {
    if (s.person_id === null) continue;
    if (s.person_id <= 0) {
      parts.set(s.id, 'gallery');
      continue;
    }
    if (trainPersons.has(s.person_id)) {
      parts.set(s.id, 'train');
      continue;
    }
    const key = `${s.person_id}/${s.camera ?? -1}`;
    let g = byPersonCamera.get(key);
    if (!g) byPersonCamera.set(key, (g = []));
    g.push(s);
  }
  for (const key of [...byPersonCamera.keys()].sort()) {
    const g = byPersonCamera.get(key)!;
    const q = Math.floor(rng() * g.length);
    g.forEach((s, i) => parts.set(s.id, i === q ? 'query' : 'gallery'));
  }
  return parts;
}

/**
 * A split per class holds part of every class out: a class must keep a training
 * image and, when test or val asks for a share, have another to hold out. A class
 * that cannot would silently be missing from a part (or never trained on), so it is
 * named instead, with what to do about it.
 */
function checkClassSizes(db: Database.Database, samples: SampleKey[], req: Extract<SplitCreateRequest, { method: 'random' }>): void {
  if (!req.stratify || req.test + req.val === 0) return;
  const sizes = new Map<number, number>();
  for (const s of samples) if (s.label !== null) sizes.set(s.label, (sizes.get(s.label) ?? 0) + 1);
  const short = [...sizes]
    .filter(([, n]) => n < 2 || n - Math.round(n * req.test) - Math.round(n * req.val) < 1)
    .sort(([a], [b]) => a - b);
  if (short.length === 0) return;
  const names = new Map((db.prepare('SELECT idx, name FROM classes WHERE dataset_id = ?').all(req.datasetId) as { idx: number; name: string }[]).map((c) => [c.idx, c.name]));
  const listed = short.slice(0, 5).map(([label, n]) => `"${names.get(label) ?? `#${label}`}" (${n} image${n === 1 ? '' : 's'})`);
  if (short.length > 5) listed.push(`${short.length - 5} more`);
  const asked = [`test ${Math.round(req.test * 100)}%`, ...(req.val > 0 ? [`val ${Math.round(req.val * 100)}%`] : [])].join(' and ');
  throw new ApiError(
    'invalid_request',
    `Dataset ${req.datasetId} cannot be split per class at ${asked}: class${short.length === 1 ? '' : 'es'} ${listed.join(', ')} ${short.length === 1 ? 'has' : 'have'} too few images to keep one to train on and hold one out. Add images to ${short.length === 1 ? 'it' : 'them'}, leave ${short.length === 1 ? 'it' : 'them'} out of the dataset, or split over all samples at once (untick "Per class"; CLI: --no-stratify).`,
    'stratify',
  );
}

/** Classes named in a notice, at most (the total is said too). */
const listedClasses = 20;

/**
 * The classes a random split left without an image in a part it asked a share for: per
 * class the share rounds to 0 (4 images at 10% test), or, over all samples at once, the
 * draw missed it. The split is still made (each such class trains and is held out where
 * it can); the answer says so, so an evaluation missing a class is not a surprise.
 */
function classesWithout(db: Database.Database, samples: SampleKey[], parts: Map<number, string>, req: Extract<SplitCreateRequest, { method: 'random' }>): SplitClassesWithout[] {
  const labels = [...new Set(samples.filter((s) => s.label !== null).map((s) => s.label!))].sort((a, b) => a - b);
  if (labels.length === 0) return [];
  const names = new Map((db.prepare('SELECT idx, name FROM classes WHERE dataset_id = ?').all(req.datasetId) as { idx: number; name: string }[]).map((c) => [c.idx, c.name]));
  const out: SplitClassesWithout[] = [];
  for (const part of ['test', 'val'] as const) {
    if (req[part] === 0) continue;
    const present = new Set(samples.filter((s) => s.label !== null && parts.get(s.id) === part).map((s) => s.label!));
    const missing = labels.filter((l) => !present.has(l));
    if (missing.length > 0) out.push({ part, classes: missing.slice(0, listedClasses).map((l) => names.get(l) ?? `#${l}`), total: missing.length });
  }
  return out;
}

export function createSplit(db: Database.Database, req: SplitCreateRequest): DatasetSplit {
  if (!db.prepare('SELECT 1 FROM datasets WHERE id = ?').get(req.datasetId)) throw new ApiError('not_found', `Dataset ${req.datasetId} does not exist.`, 'datasetId');
  if (db.prepare('SELECT 1 FROM dataset_splits WHERE dataset_id = ? AND name = ?').get(req.datasetId, req.name)) {
    throw new ApiError('conflict', `Dataset ${req.datasetId} already has a split "${req.name}"; splits do not change once made (runs refer to them): choose another name or remove it first.`, 'name');
  }
  const samples = db.prepare('SELECT id, label, person_id, camera FROM samples WHERE dataset_id = ?').all(req.datasetId) as SampleKey[];
  if (samples.length === 0) throw new ApiError('invalid_request', `Dataset ${req.datasetId} has no samples to split.`, 'datasetId');
  if (req.method === 'random') checkClassSizes(db, samples, req);
  const parts = req.method === 'random' ? randomParts(samples, req) : reidParts(samples, req);
  const counts: Record<string, number> = {};
  for (const p of parts.values()) counts[p] = (counts[p] ?? 0) + 1;
  // Over all samples at once, a tiny set can round every sample out of train.
  if (req.method === 'random' && !counts.train) {
    throw new ApiError('invalid_request', `Dataset ${req.datasetId} has ${samples.length} sample(s): test ${req.test} and val ${req.val} leave none to train on; lower them or add images.`, 'test');
  }
  const unassigned = samples.length - parts.size;
  if (unassigned > 0) counts['(none)'] = unassigned;
  const { datasetId: _datasetId, name: _name, ...params } = req;
  const insert = db.transaction(() => {
    const id = Number(
      db.prepare('INSERT INTO dataset_splits (dataset_id, name, params, counts) VALUES (?, ?, ?, ?)').run(req.datasetId, req.name, JSON.stringify(params), JSON.stringify(counts)).lastInsertRowid,
    );
    const row = db.prepare('INSERT INTO sample_split_parts (split_id, sample_id, part) VALUES (?, ?, ?)');
    for (const [sampleId, part] of parts) row.run(id, sampleId, part);
    return id;
  });
  const id = insert();
  const made = toSplit(db.prepare('SELECT id, name, params, counts, created_at FROM dataset_splits WHERE id = ?').get(id) as SplitRow);
  const without = req.method === 'random' ? classesWithout(db, samples, parts, req) : [];
  return without.length > 0 ? { ...made, classesWithout: without } : made;
}

export function removeSplit(db: Database.Database, datasetId: number, name: string): void {
  const id = splitId(db, datasetId, name, 'name');
  db.prepare('DELETE FROM dataset_splits WHERE id = ?').run(id);
}

/** Whether a part of a split (named, or the imported one when `splitName` is absent) has labelled samples. */
export function partHasLabels(db: Database.Database, datasetId: number, part: string, splitName?: string): boolean {
  if (!splitName || splitName === importedSplitName) {
    return db.prepare('SELECT 1 FROM samples WHERE dataset_id = ? AND split = ? AND label IS NOT NULL LIMIT 1').get(datasetId, part) !== undefined;
  }
  const id = splitId(db, datasetId, splitName);
  return (
    db.prepare('SELECT 1 FROM sample_split_parts p JOIN samples s ON s.id = p.sample_id WHERE p.split_id = ? AND p.part = ? AND s.label IS NOT NULL LIMIT 1').get(id, part) !==
    undefined
  );
}

/** Samples (and labelled samples) in these parts of a split (named, or the imported one when `splitName` is absent). */
export function partCounts(db: Database.Database, datasetId: number, parts: string[], splitName?: string, field = 'dataset.split'): { n: number; labelled: number } {
  const marks = parts.map(() => '?').join(',');
  if (!splitName || splitName === importedSplitName) {
    return db.prepare(`SELECT COUNT(*) AS n, COUNT(label) AS labelled FROM samples WHERE dataset_id = ? AND split IN (${marks})`).get(datasetId, ...parts) as { n: number; labelled: number };
  }
  const id = splitId(db, datasetId, splitName, field);
  return db
    .prepare(`SELECT COUNT(*) AS n, COUNT(s.label) AS labelled FROM sample_split_parts p JOIN samples s ON s.id = p.sample_id WHERE p.split_id = ? AND p.part IN (${marks})`)
    .get(id, ...parts) as { n: number; labelled: number };
}
