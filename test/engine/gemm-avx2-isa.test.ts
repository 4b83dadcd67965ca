/**
 * The AVX2 GEMM variants (gemm.cc) under WORKBENCH_NATIVE_ISA=avx2 in a child process (the ISA is
 * read once per process): the fixed-row-stride 6 x 16 tiles (WORKBENCH_NATIVE_AVX2_FIXED=0 turns
 * them off) and backprop-filter's padded im2col row stride (WORKBENCH_NATIVE_IM2COL_PAD=0). They sum
 * every element in the order of the paths they replace, so on and off must give the same bits; dW must match a float64 reference within a float32 error bound and not depend on
 * the thread count.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { loadNativeAddon } from '../../src-main/engine/native/native-kernels.ts';
import { AVX2_SWITCHES, GEMM_CASES, referenceConvs } from './gemm-avx2-cases.ts';

const addon = loadNativeAddon();
const avx2 = addon !== null && ['avx2', 'avx512f'].includes(addon.info().isa);
const child = path.join(import.meta.dirname, 'gemm-avx2-child.ts');

interface ChildRun {
  info: { isa: string };
  runs: Record<string, string[][]>;
}
let cached: ChildRun | undefined;
const run = (): ChildRun => {
  if (cached) return cached;
  const env: NodeJS.ProcessEnv = { ...process.env, WORKBENCH_NATIVE_ISA: 'avx2' };
  for (const name of AVX2_SWITCHES) delete env[name];
  const out = execFileSync(process.execPath, ['--import', 'tsx', child], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  cached = JSON.parse(out.trim().split('\n').pop()!) as ChildRun;
  return cached;
};
const floats = (b64: string): Float32Array => {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};

describe.skipIf(!avx2)('AVX2 GEMM variants (WORKBENCH_NATIVE_ISA=avx2)', () => {
  it('the forced ISA took effect', () => {
    expect(run().info.isa).toBe('avx2');
  }, 120_000);

  it.each(GEMM_CASES.map((g, i) => [g.label, i] as const))('%s: dW matches the float64 reference, with 1 and 2 threads alike', (_label, i) => {
    const g = GEMM_CASES[i]!;
    const { dw: ref, dwBound: bound } = referenceConvs(g);
    const dw = floats(run().runs['2/on']![i]![1]!);
    expect(dw.length).toBe(ref.length);
    let worst = 0;
    for (let e = 0; e < dw.length; e++) worst = Math.max(worst, Math.abs(dw[e]! - ref[e]!) / (bound[e]! + 1e-30));
    expect(worst).toBeLessThanOrEqual(1);
    expect(run().runs['1/on']![i]![1]).toBe(run().runs['2/on']![i]![1]);
  }, 120_000);

  const pairs = AVX2_SWITCHES.flatMap((name) => [1, 2].flatMap((threads) => GEMM_CASES.map((g, i) => [name, threads, g.label, i] as const)));
  it.each(pairs)('%s=0 and unset give the same bits (%i threads): %s', (name, threads, _label, i) => {
    const on = run().runs[`${threads}/on`]![i]!;
    const off = run().runs[`${threads}/${name}`]![i]!;
    ['conv', 'backprop-filter', 'backprop-input', 'backprop-input + addend'].forEach((what, o) => {
      expect(floats(on[o]!).some((v) => v !== 0), what).toBe(true);
      expect(off[o], what).toBe(on[o]);
    });
  }, 120_000);
});
