import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { Workspace } from '../../src-main/core/workspace.ts';
import { latestSchemaVersion } from '../../src-main/core/db/migrate.ts';
import { migrations } from '../../src-main/core/db/migrations/index.ts';
import { tempDir } from '../helpers/temp-workspace.ts';

describe('Workspace', () => {
  let cleanup = (): void => {};
  afterEach(() => cleanup());

  it('creates the database with every migration applied, WAL and foreign keys on', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const ws = Workspace.open(t.dir);
    expect(ws.schemaVersion).toBe(latestSchemaVersion());
    expect(ws.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(ws.db.pragma('foreign_keys', { simple: true })).toBe(1);
    const versions = ws.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[];
    // Numbers are reserved per feature, so the list may have gaps; each listed one is applied once.
    expect(versions.map((v) => v.version)).toEqual(migrations.map((m) => m.version).sort((a, b) => a - b));
    const tables = (ws.db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map((r) => r.name);
    for (const t of ['datasets', 'samples', 'jobs', 'metrics', 'models', 'artifacts', 'pipelines', 'settings']) expect(tables).toContain(t);
    ws.close();
  });

  it('reopens an existing workspace without re-running migrations', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const first = Workspace.open(t.dir);
    first.db.prepare("INSERT INTO settings (key, value) VALUES ('theme', '\"dark\"')").run();
    first.close();
    const second = Workspace.open(t.dir);
    expect(second.db.prepare("SELECT value FROM settings WHERE key='theme'").get()).toEqual({ value: '"dark"' });
    second.close();
  });

  it('applies a listed migration the database lacks even below its highest version', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    Workspace.open(t.dir).close();
    // Undo migration 2 (indexes only) while the later ones stay recorded.
    const raw = new Database(path.join(t.dir, 'workbench.db'));
    raw.exec('DROP INDEX samples_by_label; DROP INDEX samples_by_camera; DROP INDEX samples_by_domain; DROP INDEX datasets_by_root');
    raw.prepare('DELETE FROM schema_migrations WHERE version = 2').run();
    raw.close();
    const ws = Workspace.open(t.dir);
    const versions = (ws.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version);
    expect(versions).toContain(2);
    expect(ws.db.prepare("SELECT name FROM sqlite_master WHERE type='index' AND name='samples_by_label'").get()).toBeTruthy();
    ws.close();
  });

  it('refuses a database written by a newer app, untouched', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    Workspace.open(t.dir).close();
    const raw = new Database(path.join(t.dir, 'workbench.db'));
    raw.prepare("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')").run();
    raw.close();
    expect(() => Workspace.open(t.dir)).toThrow(/newer version of the workbench \(schema 999/);
    const check = new Database(path.join(t.dir, 'workbench.db'), { readonly: true });
    expect((check.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v).toBe(999);
    check.close();
  });

  it('refuses a workspace path that is a file', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'not-a-folder');
    writeFileSync(file, 'x');
    expect(() => Workspace.open(file)).toThrow(/is a file, not a folder/);
  });

  it('rolls back every write of a failed transaction', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const ws = Workspace.open(t.dir);
    expect(() =>
      ws.transaction(() => {
        ws.db.prepare("INSERT INTO datasets (name, format, root_path) VALUES ('a', 'imagefolder', '/x')").run();
        // A sample pointing at a dataset that does not exist violates the foreign key.
        ws.db.prepare("INSERT INTO samples (dataset_id, path) VALUES (12345, 'y.png')").run();
      }),
    ).toThrow(/FOREIGN KEY/);
    expect(ws.db.prepare('SELECT COUNT(*) AS n FROM datasets').get()).toEqual({ n: 0 });
    ws.close();
  });

  it('keeps workspace-relative paths inside the workspace', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const ws = Workspace.open(t.dir);
    expect(ws.resolve('artifacts/a.bin')).toBe(path.join(ws.dir, 'artifacts', 'a.bin'));
    expect(() => ws.resolve('../escape')).toThrow(/leaves the workspace/);
    ws.close();
  });
});
