/**
 * Job kinds renamed to `<domain>.<verb>` keep loading: a workspace written
 * before the rename (schema 2, kinds 'train', 'dataset.import',
 * 'model.compact') opens with its jobs renamed, listed, filtered and resumable,
 * and a submit under an old name reaches the renamed kind's validation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import type { JobProcessLauncher } from '../../src-main/core/jobs/protocol.ts';
import { jobSpecs } from '../../src-main/app/job-kinds.ts';
import { migration001 } from '../../src-main/core/db/migrations/001-initial.ts';
import { migration002 } from '../../src-main/core/db/migrations/002-dataset-browse-indexes.ts';
import { canonicalJobKind, jobKinds, legacyJobKinds } from '../../src-main/common/contract/kinds.ts';
import { tempDir } from '../helpers/temp-workspace.ts';

/** A launcher that starts nothing: these tests look at rows, not at running jobs. */
const idleLauncher: JobProcessLauncher = () => ({
  pid: undefined,
  send: () => {},
  onMessage: () => {},
  onExit: () => {},
  onOutput: () => {},
  kill: () => {},
});

/** A workspace database as the version before the rename left it. */
function oldWorkspace(dir: string): void {
  const db = new Database(path.join(dir, 'workbench.db'));
  db.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT 'x')`);
  for (const m of [migration001, migration002]) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations (version, name) VALUES (?, ?)').run(m.version, m.name);
  }
  const insert = db.prepare("INSERT INTO jobs (kind, title, status, params) VALUES (?, ?, ?, '{}')");
  insert.run('train', 'an old training run', 'interrupted');
  insert.run('dataset.import', 'an old import', 'succeeded');
  insert.run('model.compact', 'an old compact', 'succeeded');
  insert.run('spgan.train', 'an unchanged kind', 'succeeded');
  db.close();
}

describe('job kind names', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('maps every old name to a registered kind, and leaves current names alone', () => {
    for (const [old, now] of Object.entries(legacyJobKinds)) {
      expect(canonicalJobKind(old)).toBe(now);
      expect(jobSpecs.has(now), now).toBe(true);
    }
    for (const kind of Object.values(jobKinds)) {
      expect(canonicalJobKind(kind)).toBe(kind);
      expect(jobSpecs.has(kind), `${kind} is registered`).toBe(true);
    }
    expect([...jobSpecs.keys()].sort()).toEqual(Object.values(jobKinds).sort());
  });

  it('renames stored jobs when an older workspace opens; lists, filters and resume keep working', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    oldWorkspace(t.dir);
    const ws = Workspace.open(t.dir);
    try {
      expect(ws.schemaVersion).toBeGreaterThanOrEqual(3);
      const jobs = new JobManager(ws, new EventBus(), { specs: jobSpecs, launcher: idleLauncher });
      const kinds = jobs.list().map((j) => j.kind).sort();
      expect(kinds).toEqual(['datasets.import', 'models.compact', 'spgan.train', 'train.run']);
      // A filter or a submit written with an old name still finds the renamed kind.
      expect(jobs.list({ kind: 'train' }).map((j) => j.title)).toEqual(['an old training run']);
      const old = jobs.list({ kind: 'train.run' })[0]!;
      expect(old.resumable).toBe(true);
      expect(() => jobs.submit('dataset.import', { path: '/definitely/not/here' })).toThrow(/does not exist/);
    } finally {
      ws.close();
    }
  });
});
