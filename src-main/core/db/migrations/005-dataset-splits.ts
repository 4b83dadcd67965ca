import type { Migration } from '../migrate.ts';

/**
 * Named splits made in the workbench (seeded random, stratified, or re-ID
 * query/gallery), stored as data of the dataset: one row per split and one
 * (split, sample, part) row per sample. The imported folders' split stays in
 * `samples.split`; a named split never changes once made (runs refer to it).
 */
export const migration005: Migration = {
  version: 5,
  name: 'dataset-splits',
  sql: `
CREATE TABLE dataset_splits (
  id         INTEGER PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  params     TEXT NOT NULL,   -- JSON: method, seed, fractions
  counts     TEXT NOT NULL,   -- JSON: samples per part
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  UNIQUE (dataset_id, name)
);
CREATE TABLE sample_split_parts (
  split_id  INTEGER NOT NULL REFERENCES dataset_splits(id) ON DELETE CASCADE,
  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
  part      TEXT NOT NULL,
  PRIMARY KEY (split_id, sample_id)
) WITHOUT ROWID;
CREATE INDEX sample_split_parts_by_part ON sample_split_parts(split_id, part);
`,
};
