import type { Migration } from '../migrate.ts';

/** The tables the workbench needs from the start. Column comments say why they exist. */
export const migration001: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL               -- JSON
);

CREATE TABLE datasets (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  format      TEXT NOT NULL,        -- imagefolder | cifar10 | cifar100 | idx | market1501 | dukemtmc | domains | cub200 | boxlist | translated
  root_path   TEXT NOT NULL,        -- where the files are indexed in place (or the workspace folder for decoded formats)
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  job_id      INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  parent_dataset_id INTEGER REFERENCES datasets(id) ON DELETE SET NULL,  -- lineage, e.g. an SPGAN translation
  info        TEXT NOT NULL DEFAULT '{}'    -- JSON: counts, classes, cameras, import report summary, lineage details
);

CREATE TABLE classes (
  dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  idx        INTEGER NOT NULL,
  name       TEXT NOT NULL,
  PRIMARY KEY (dataset_id, idx)
);

CREATE TABLE samples (
  id          INTEGER PRIMARY KEY,
  dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  path        TEXT NOT NULL,        -- relative to the dataset root
  split       TEXT,                 -- train | val | test | query | gallery | NULL
  label       INTEGER,              -- class index (classes.idx)
  person_id   INTEGER,              -- re-ID: -1 junk, 0 distractor
  camera      INTEGER,
  sequence    INTEGER,
  frame       INTEGER,
  domain      TEXT,
  width       INTEGER,
  height      INTEGER,
  channels    INTEGER,
  size_bytes  INTEGER,
  mtime_ms    INTEGER,              -- to detect files that changed after import
  boxes       TEXT,                 -- JSON [[x0,y0,x1,y1],...]
  extra       TEXT                  -- JSON, format specific
);
CREATE INDEX samples_by_dataset ON samples(dataset_id, split, label);
CREATE INDEX samples_by_person ON samples(dataset_id, person_id, camera);

CREATE TABLE jobs (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL,
  title         TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','cancelled','interrupted')),
  params        TEXT NOT NULL,      -- JSON: the full config
  result        TEXT,               -- JSON
  error         TEXT,
  progress      TEXT,               -- JSON JobProgress
  engine        TEXT,               -- JSON EngineInfo the job ran on
  backend       TEXT,               -- requested backend override, if any
  parent_job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,  -- resume lineage
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  started_at    TEXT,
  finished_at   TEXT
);
CREATE INDEX jobs_by_status ON jobs(status);

CREATE TABLE job_logs (
  id      INTEGER PRIMARY KEY,
  job_id  INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  ts      TEXT NOT NULL,
  level   TEXT NOT NULL,
  line    TEXT NOT NULL
);
CREATE INDEX job_logs_by_job ON job_logs(job_id);

CREATE TABLE metrics (
  job_id  INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  step    INTEGER NOT NULL,
  epoch   INTEGER,
  name    TEXT NOT NULL,
  value   REAL NOT NULL,
  ts      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX metrics_by_job ON metrics(job_id, name, step);

CREATE TABLE models (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL,
  arch            TEXT NOT NULL,    -- registry name, e.g. resnet20
  spec            TEXT NOT NULL,    -- JSON: the graph spec (channel counts after hard pruning)
  dir             TEXT NOT NULL,    -- artifacts folder with the weights
  parent_model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
  dataset_id      INTEGER REFERENCES datasets(id) ON DELETE SET NULL,
  job_id          INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  method          TEXT,             -- baseline | sfp | psfp | compact | spgan | ide ...
  rate            REAL,             -- pruning rate, when pruned
  metrics         TEXT NOT NULL DEFAULT '{}',  -- JSON: accuracy, params, flops, latency ...
  created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE artifacts (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,        -- checkpoint | weights | export-onnx | export-tfjs | thumbnail-cache | samples | report ...
  path        TEXT NOT NULL,        -- relative to the workspace folder
  size_bytes  INTEGER NOT NULL,
  sha256      TEXT,
  job_id      INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
  model_id    INTEGER REFERENCES models(id) ON DELETE CASCADE,
  dataset_id  INTEGER REFERENCES datasets(id) ON DELETE CASCADE,
  meta        TEXT NOT NULL DEFAULT '{}',   -- JSON, e.g. {"epoch": 12}
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX artifacts_by_job ON artifacts(job_id);

CREATE TABLE pipelines (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  spec        TEXT NOT NULL,        -- JSON: the ordered transforms with their parameters
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
`,
};
