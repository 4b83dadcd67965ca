#!/usr/bin/env node
/**
 * Builds the optional native CPU kernels (src-main/engine/native, a C++ N-API
 * addon) with node-gyp. Run by `postinstall` and `npm run build:native`.
 *
 * Optional by design: without a C++ toolchain (or on any build error) this
 * prints one line and exits 0, and training uses the wasm kernels.
 * WORKBENCH_NATIVE=0 skips the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const addonDir = path.join('src-main', 'engine', 'native');

function say(reason) {
  // Kept for the loader and the tests (under CI they fail with this reason).
  try {
    mkdirSync(path.join(root, addonDir, 'build'), { recursive: true });
    writeFileSync(path.join(root, addonDir, 'build', 'build-error.txt'), `${reason}\n`);
  } catch {
    // best effort: the line below still tells the user
  }
  process.stdout.write(`workbench: native CPU kernels could not be built (${reason}); training uses the wasm kernels\n`);
  process.exit(0);
}

/** node-gyp's script: npm's own during lifecycle scripts, else the one bundled with npm, else a local one. */
function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const bundled = [
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const found = bundled.find((p) => existsSync(p));
  if (found) return found;
  try {
    return createRequire(path.join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return null;
  }
}

if (process.env.WORKBENCH_NATIVE === '0') {
  process.stdout.write('workbench: native CPU kernels skipped (WORKBENCH_NATIVE=0)\n');
  process.exit(0);
}
const gyp = nodeGyp();
if (!gyp) say('node-gyp not found');
const args = [gyp, 'rebuild', '--directory', addonDir];
// Distribution Node builds (e.g. Debian's) ship their headers under <prefix>/include/node;
// pointing node-gyp there avoids a header download.
const prefix = path.resolve(path.dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) args.push(`--nodedir=${prefix}`);
const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (run.error) say(run.error.message);
if (run.status !== 0) {
  const lines = `${run.stderr}\n${run.stdout}`.split('\n').filter((l) => /error/i.test(l) && !/^gyp info/.test(l));
  say(lines.slice(0, 2).join(' | ').trim().slice(0, 300) || `node-gyp exited with ${run.status}`);
}
process.stdout.write('workbench: native CPU kernels built (src-main/engine/native/build/Release/workbench_native.node)\n');
