/**
 * Benches as they run on an AVX2-only machine, on this one: `hide-avx512.c` preloaded hides
 * AVX-512 from CPUID, so ONNX Runtime, PyTorch and the native kernels all take their AVX2 + FMA
 * paths at this CPU's real speed (see the C file for how, and where it refuses).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('./hide-avx512.c', import.meta.url));
const defaultOutDir = path.resolve(path.dirname(source), '../../../out/isa-mask');

/** Set in a process started under the library (and inherited by its children). */
export const AVX512_HIDDEN_ENV = 'WORKBENCH_AVX512_HIDDEN';

/** The library's path: built with the system C compiler when missing or older than its source. */
export function buildHideAvx512(outDir = defaultOutDir): string {
  const lib = path.join(outDir, 'hide-avx512.so');
  if (fs.existsSync(lib) && fs.statSync(lib).mtimeMs >= fs.statSync(source).mtimeMs) return lib;
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`hiding AVX-512 needs Linux on x86-64 (this is ${process.platform} ${process.arch})`);
  fs.mkdirSync(outDir, { recursive: true });
  const cc = process.env.CC ?? 'cc';
  const tmp = `${lib}.${process.pid}.tmp`;
  const built = spawnSync(cc, ['-O2', '-shared', '-fPIC', '-Wall', '-Wextra', '-Werror', '-o', tmp, source], { encoding: 'utf8' });
  if (built.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`${cc} could not build ${source}: ${(built.stderr || built.error?.message || `exit ${built.status}`).trim()}`);
  }
  fs.renameSync(tmp, lib); // whole or absent: a concurrent reader never loads half a library
  return lib;
}

/** A child process's environment in which AVX-512 is hidden (the library preloaded first). */
export function withoutAvx512(env: NodeJS.ProcessEnv = process.env, outDir = defaultOutDir): NodeJS.ProcessEnv {
  const lib = buildHideAvx512(outDir);
  return { ...env, LD_PRELOAD: [lib, env.LD_PRELOAD].filter(Boolean).join(':'), [AVX512_HIDDEN_ENV]: '1' };
}

/**
 * A bench's `--hide-avx512`: outside the library this runs the same script again under it (same
 * Node flags and arguments) and exits with its status; under it, or without the flag, it returns.
 */
export function rerunWithoutAvx512IfAsked(flag = '--hide-avx512'): void {
  if (!process.argv.includes(flag) || process.env[AVX512_HIDDEN_ENV] === '1') return;
  const run = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: withoutAvx512() });
  process.exit(run.status ?? 1);
}

/** For a result table's machine line. */
export function isaNote(): string {
  return process.env[AVX512_HIDDEN_ENV] === '1' ? 'AVX-512 hidden from CPUID (--hide-avx512): every engine on its AVX2 + FMA path' : 'CPU features as reported';
}
