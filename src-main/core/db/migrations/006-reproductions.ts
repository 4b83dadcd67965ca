import type { Migration } from '../migrate.ts';

/**
 * Reproductions of the catalogue's claims (src-main/reproduce): one row per
 * started reproduction (which entry, at which scale, on which dataset, seeds),
 * and one row per job it queued with the run it stands for. The jobs are
 * ordinary `train` jobs grouped by the sweep id, so they also show as a sweep.
 */
export const migration006: Migration = {
  version: 6,
  name: 'reproductions',
  sql: `
CREATE TABLE reproductions (
  id         INTEGER PRIMARY KEY,
  entry      TEXT NOT NULL,
  scale      TEXT NOT NULL CHECK (scale IN ('quick', 'paper')),
  dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
  seeds      TEXT NOT NULL,   -- JSON array of seeds
  sweep_id   TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE TABLE reproduction_jobs (
  reproduction_id INTEGER NOT NULL REFERENCES reproductions(id) ON DELETE CASCADE,
  job_id          INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  run_key         TEXT NOT NULL,
  seed            INTEGER NOT NULL,
  PRIMARY KEY (reproduction_id, job_id)
) WITHOUT ROWID;
`,
};
