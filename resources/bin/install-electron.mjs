#!/usr/bin/env node
// Electron's own install script downloads its binary from a host that is not
// reachable on every machine. npm skips it (see "allowScripts" in package.json)
// and this guarded step runs it instead: where the download works the binary
// arrives as usual; where it fails we say so in one line and the install goes on,
// because the browser host and the CLI need no Electron binary.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const installer = path.join(root, 'node_modules', 'electron', 'install.js');
if (!existsSync(installer) || process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) process.exit(0);
const result = spawnSync(process.execPath, [installer], { cwd: path.dirname(installer), stdio: 'pipe', timeout: 120_000 });
if (result.status !== 0) {
  console.log('workbench: the Electron binary could not be downloaded; `npm start` will open the browser host instead.');
}
process.exit(0);
