import type Database from 'better-sqlite3';
import { migrations } from './migrations/index.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class SchemaTooNewError extends Error {}

/** The schema version this build of the app writes. */
export function latestSchemaVersion(): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/**
 * Applies every listed migration the database has not recorded (not only those
 * above its highest version: numbers are reserved per feature, so a change
 * merged later may carry a lower number than one already applied), each in its own
 * transaction together with its row in `schema_migrations`, so a crash leaves
 * the database at a known version. A database written by a newer app is refused
 * before anything is touched.
 */
export function migrate(db: Database.Database, file: string): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))`);
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  const latest = latestSchemaVersion();
  if (current > latest) {
    throw new SchemaTooNewError(
      `${file} was written by a newer version of the workbench (schema ${current}, this version knows up to ${latest}); update the app to open it.`,
    );
  }
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const record = db.prepare('INSERT INTO schema_migrations (version, name) VALUES (?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name);
    })();
  }
  return latest;
}
