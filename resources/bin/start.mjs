#!/usr/bin/env node
// `npm start`: open the Electron window, or, where the Electron binary could not
// be installed, say so in one sentence and start the browser host instead.
import { existsSync } from 'node:fs';
import { spawnSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronSqliteBinding } from './electron-sqlite.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const args = process.argv.slice(2);

function electronBinary() {
  try {
    const bin = require('electron'); // the package exports the path of its binary
    return typeof bin === 'string' && existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  return r.status === 0;
}

const electron = electronBinary();
if (!electron) {
  console.log('The Electron binary is not installed on this machine (its download failed), so the workbench opens in your browser instead:');
  if (!existsSync(path.join(root, 'out', 'renderer', 'index.html')) && !run(npx, ['electron-vite', 'build'])) process.exit(1);
  const child = spawn(process.execPath, [path.join(root, 'resources', 'bin', 'workbench.mjs'), 'serve', ...args], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
} else {
  // better-sqlite3 in node_modules is built for Node's ABI (CLI, tests, browser host); the
  // window loads an Electron-ABI build kept beside it, built once per Electron version.
  const electronVersion = require('electron/package.json').version;
  const binding = electronSqliteBinding(root, electronVersion);
  if (!binding) process.exit(1);
  if (!run(npx, ['electron-vite', 'build'])) process.exit(1);
  const child = spawn(electron, [root, ...args], { cwd: root, stdio: 'inherit', env: { ...process.env, WORKBENCH_SQLITE_BINDING: binding } });
  child.on('exit', (code) => process.exit(code ?? 0));
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
}
