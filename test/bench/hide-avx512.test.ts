/**
 * `--hide-avx512` (src-main/bench/isa-mask): a process under the preloaded library sees a CPU
 * without AVX-512, so the benches measure every engine's AVX2 path on an AVX-512 machine. What
 * would make such a number wrong: a library still seeing AVX-512 (the native kernels report
 * their ISA), WebAssembly's bounds traps (Node's own SIGSEGV handler) broken, or a real crash
 * swallowed instead of ending the process. Skipped, with the reason, on a machine with nothing
 * to hide or a kernel that cannot make CPUID fault.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHideAvx512, withoutAvx512 } from '../../src-main/bench/isa-mask/hide-avx512.ts';
import { tempDir } from '../helpers/temp-workspace.ts';

const child = fileURLToPath(new URL('./hide-avx512-child.ts', import.meta.url));
const temp = tempDir('wb-hide-avx512-');
afterAll(() => temp.cleanup());

function unavailable(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `needs Linux on x86-64 (this is ${process.platform} ${process.arch})`;
  if (!/\bavx512f\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'))) return 'this CPU has no AVX-512 to hide';
  const probe = spawnSync(process.execPath, ['-e', '0'], { env: withoutAvx512(process.env, temp.dir), encoding: 'utf8' });
  return probe.status === 3 ? probe.stderr.trim() : null;
}
const reason = unavailable();
if (reason) process.stdout.write(`hide-avx512 tests: skipped, ${reason}\n`);

interface Seen {
  device: string;
  sum: number[];
  trap: string;
}

function runChild(env: NodeJS.ProcessEnv): Seen {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child], { env, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`child ended with ${r.status ?? r.signal}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Seen;
}

describe.skipIf(reason !== null)('hide-avx512', () => {
  const env = { ...process.env };
  delete env.WORKBENCH_NATIVE_ISA;

  it('the native kernels pick AVX2 under it and AVX-512 without it; the engine computes and WebAssembly still traps out of bounds', () => {
    const plain = runChild(env);
    const hidden = runChild(withoutAvx512(env, temp.dir));
    expect(plain.device).toContain('native avx512f kernels');
    expect(hidden.device).toContain('native avx2 kernels');
    for (const seen of [plain, hidden]) {
      expect(seen.sum).toEqual([4, 6]);
      expect(seen.trap).toBe('memory access out of bounds');
    }
  }, 120_000);

  it('a fault that is not a CPUID still ends the process with SIGSEGV: a bad load in C, and a SIGSEGV Node sends itself', () => {
    const source = path.join(temp.dir, 'bad-load.c');
    const program = path.join(temp.dir, 'bad-load');
    fs.writeFileSync(source, 'int main(void) { volatile int* p = (volatile int*)16; return *p; }\n');
    const built = spawnSync(process.env.CC ?? 'cc', ['-O0', '-o', program, source], { encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const hidden = withoutAvx512(env, temp.dir);
    expect(spawnSync(program, [], { env: hidden, timeout: 20_000 }).signal).toBe('SIGSEGV');
    const node = spawnSync(process.execPath, ['-e', "process.kill(process.pid, 'SIGSEGV'); setTimeout(() => {}, 5000)"], { env: hidden, timeout: 20_000 });
    expect(node.signal).toBe('SIGSEGV');
  }, 60_000);

  it('builds the library once: a second call reuses it, a newer source rebuilds it', () => {
    const dir = path.join(temp.dir, 'rebuild');
    const lib = buildHideAvx512(dir);
    const first = fs.statSync(lib).mtimeMs;
    expect(buildHideAvx512(dir)).toBe(lib);
    expect(fs.statSync(lib).mtimeMs).toBe(first);
    fs.utimesSync(lib, new Date(0), new Date(0)); // older than the source
    buildHideAvx512(dir);
    expect(fs.statSync(lib).mtimeMs).toBeGreaterThan(0);
    expect(fs.readdirSync(dir)).toEqual(['hide-avx512.so']);
  });
});
