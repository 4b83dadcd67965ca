// An Electron-ABI build of better-sqlite3 kept beside node_modules' Node build, so
// the window, the CLI and the tests never fight over one binary file (see
// src-main/core/db/open-database.ts, which loads it only inside Electron).
// Built once per Electron version into node_modules/.cache/workbench/, from a
// copy of the package's sources: node_modules/better-sqlite3 itself is never touched.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Where the build for `electronVersion` is kept. */
export function keptBindingPath(root, electronVersion) {
  return path.join(root, 'node_modules', '.cache', 'workbench', `better-sqlite3-electron-${electronVersion}`, 'better_sqlite3.node');
}

/**
 * The kept build for `electronVersion`, built now when missing. Returns its path,
 * or null after printing why it could not be built (the caller then stops).
 */
export function electronSqliteBinding(root, electronVersion, log = (line) => console.log(line)) {
  const target = keptBindingPath(root, electronVersion);
  if (existsSync(target)) return target;
  const source = path.join(root, 'node_modules', 'better-sqlite3');
  if (!existsSync(path.join(source, 'binding.gyp'))) {
    log(`better-sqlite3's sources are missing (${source}); run npm ci.`);
    return null;
  }
  const work = path.join(path.dirname(target), 'src');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  for (const part of ['binding.gyp', 'package.json', 'deps', 'src', 'lib']) cpSync(path.join(source, part), path.join(work, part), { recursive: true });
  log(`Building better-sqlite3 for Electron ${electronVersion} once (kept in ${path.dirname(target)})...`);
  const require = createRequire(path.join(root, 'package.json'));
  const tryRun = (script, args) => {
    const r = spawnSync(process.execPath, [script, ...args], { cwd: work, stdio: 'inherit' });
    return r.status === 0 && existsSync(path.join(work, 'build', 'Release', 'better_sqlite3.node'));
  };
  const electronArgs = ['--runtime=electron', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers'];
  // A prebuilt binary when one is published for this Electron, else a compile against its headers.
  const built =
    tryRun(require.resolve('prebuild-install/bin.js'), ['--runtime', 'electron', '--target', electronVersion]) ||
    tryRun(require.resolve('node-gyp/bin/node-gyp.js'), ['rebuild', '--release', ...electronArgs]);
  if (!built) {
    rmSync(work, { recursive: true, force: true });
    log('Could not build better-sqlite3 for Electron; see the messages above.');
    return null;
  }
  copyFileSync(path.join(work, 'build', 'Release', 'better_sqlite3.node'), target);
  rmSync(work, { recursive: true, force: true });
  return target;
}
