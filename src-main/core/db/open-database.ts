/**
 * Every SQLite connection of the workbench is opened here, so that one rule
 * decides which compiled better-sqlite3 binding a runtime loads.
 *
 * Why: Node and Electron have different native ABIs. Rebuilding the one
 * binding in node_modules for Electron before every `npm start` (and back for
 * Node after) is slow, and a crash in between leaves the CLI and the tests with
 * the wrong binary. Instead `npm start` keeps an Electron-ABI build of its own
 * (resources/bin/electron-sqlite.mjs) and hands its path over in
 * WORKBENCH_SQLITE_BINDING; only an Electron process (the window or a job's
 * utility process) loads it, through better-sqlite3's `nativeBinding` option.
 * Node (CLI, browser host, tests) always loads node_modules' own build.
 */
import Database from 'better-sqlite3';

export interface RuntimeFacts {
  /** process.versions.electron: set in Electron's main and utility processes. */
  electron: string | undefined;
  /** WORKBENCH_SQLITE_BINDING: the Electron-ABI build kept by `npm start`. */
  binding: string | undefined;
}

function currentRuntime(): RuntimeFacts {
  return { electron: process.versions.electron, binding: process.env.WORKBENCH_SQLITE_BINDING || undefined };
}

/** The options for `new Database` in this runtime: `nativeBinding` only under Electron with a kept build. */
export function sqliteOptions(options: Database.Options = {}, runtime: RuntimeFacts = currentRuntime()): Database.Options {
  if (!runtime.electron || !runtime.binding || options.nativeBinding) return options;
  return { ...options, nativeBinding: runtime.binding };
}

export function openDatabase(file: string, options: Database.Options = {}): Database.Database {
  return new Database(file, sqliteOptions(options));
}
