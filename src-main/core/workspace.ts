import type Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, existsSync, openSync, statSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate } from './db/migrate.ts';
import { openDatabase } from './db/open-database.ts';
import { readAppConfig } from './app-config.ts';

export interface OpenOptions {
  /** Open without the right to write (job processes). */
  readonly?: boolean;
}

/**
 * A workspace: a folder with `workbench.db` (SQLite, WAL, foreign keys on) and
 * `artifacts/` (checkpoints, thumbnails, exports, decoded datasets). Exactly one
 * process opens it for writing: the host (Electron main, browser host or CLI).
 */
export class Workspace {
  readonly dir: string;
  readonly dbPath: string;
  readonly artifactsDir: string;
  readonly db: Database.Database;
  readonly schemaVersion: number;
  readonly readonly: boolean;

  private constructor(dir: string, db: Database.Database, schemaVersion: number, readonly: boolean) {
    this.dir = dir;
    this.dbPath = path.join(dir, 'workbench.db');
    this.artifactsDir = path.join(dir, 'artifacts');
    this.db = db;
    this.schemaVersion = schemaVersion;
    this.readonly = readonly;
  }

  static open(dir: string, options: OpenOptions = {}): Workspace {
    const abs = path.resolve(dir);
    const dbPath = path.join(abs, 'workbench.db');
    if (options.readonly) {
      const db = openDatabase(dbPath, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number };
      return new Workspace(abs, db, row.v, true);
    }
    if (existsSync(abs) && !statSync(abs).isDirectory()) {
      throw new Error(`Workspace path ${abs} is a file, not a folder.`);
    }
    mkdirSync(path.join(abs, 'artifacts'), { recursive: true });
    restrictDatabaseFiles(dbPath);
    const db = openDatabase(dbPath);
    try {
      db.pragma('journal_mode = WAL');
      restrictDatabaseFiles(dbPath);
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      // NORMAL is durable in WAL mode except for the last transactions on power loss, never corrupting.
      db.pragma('synchronous = NORMAL');
      const version = migrate(db, dbPath);
      return new Workspace(abs, db, version, false);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Runs `fn` in one transaction: all its writes land together or none do. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Absolute path of a workspace-relative path; refuses paths that leave the workspace. */
  resolve(relative: string): string {
    const abs = path.resolve(this.dir, relative);
    if (abs !== this.dir && !abs.startsWith(this.dir + path.sep)) {
      throw new Error(`Path ${relative} leaves the workspace.`);
    }
    return abs;
  }

  /** Workspace-relative form of an absolute path inside the workspace. */
  relative(absolute: string): string {
    return path.relative(this.dir, absolute);
  }

  jobDir(jobId: number): string {
    return jobFolder(this.dir, jobId);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Bytes under the workspace folder (database and artifacts). */
  sizeBytes(): number {
    let total = 0;
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (entry.isFile()) total += statSync(p).size;
      }
    };
    walk(this.dir);
    return total;
  }
}

/** A job's folder, `artifacts/jobs/<id>/`; job processes use it without opening the Workspace. */
export function jobFolder(workspaceDir: string, jobId: number): string {
  return path.join(workspaceDir, 'artifacts', 'jobs', String(jobId));
}

/** The workspace to open: $WORKBENCH_WORKSPACE, else the one chosen in Settings, else the user's data directory. */
export function defaultWorkspaceDir(): string {
  if (process.env.WORKBENCH_WORKSPACE) return path.resolve(process.env.WORKBENCH_WORKSPACE);
  const chosen = readAppConfig().workspaceDir;
  if (chosen) return chosen;
  return builtinWorkspaceDir();
}

/** The user's data directory, per OS convention. */
export function builtinWorkspaceDir(): string {
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Workbench', 'workspace');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Workbench', 'workspace');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'workbench', 'workspace');
}

/**
 * The database holds paths and, in lineage, user data: owner-only (0600) like
 * the lock. A new file is created so before SQLite opens it (SQLite gives its
 * -wal and -shm files the database file's mode); an older world-readable
 * workspace is tightened on open.
 */
function restrictDatabaseFiles(dbPath: string): void {
  if (process.platform === 'win32') return;
  if (!existsSync(dbPath)) closeSync(openSync(dbPath, 'a', 0o600));
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
    try {
      if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch {
      // -wal / -shm exist only while a connection is open.
    }
  }
}
