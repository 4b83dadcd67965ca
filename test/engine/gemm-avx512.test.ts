/**
 * The AVX-512 GEMM variants (gemm.cc) on this process's ISA: the 14-row tiles with a run-time row
 * stride addressed from two base registers (WORKBENCH_NATIVE_ROW_BASES=0 turns them off), the
 * fixed-row-stride tiles (WORKBENCH_NATIVE_FIXED_STRIDE=0), backprop-filter without im2col
 * (WORKBENCH_NATIVE_FILTER_SEGMENTS=0) and backprop-input in 16-pixel row tiles
 * (WORKBENCH_NATIVE_INPUT_ROWS16=0). Both sum every element in the order of
 * the kernel they replace, so on and off must give the same bits, with 1 and 2 threads; conv, dW and
 * dx must match float64 references within a float32 error bound. Skipped on CPUs without AVX-512
 * (gemm-avx2-isa.test.ts covers the AVX2 kernels there).
 */
import { afterAll, describe, it, expect } from 'vitest';
import { loadNativeAddon } from '../../src-main/engine/native/native-kernels.ts';
import { AVX512_SWITCHES, GEMM_CASES, referenceConvs, runGemmCase } from './gemm-avx2-cases.ts';
import { randomArray } from './conv-cases.ts';
import { bits } from './native-env.ts';

const addon = loadNativeAddon();
const avx512 = addon !== null && addon.info().isa === 'avx512f' && !process.env['WORKBENCH_NATIVE_ISA'];

const worstRatio = (got: Float32Array, ref: Float64Array, bound: Float64Array): number => {
  expect(got.length).toBe(ref.length);
  let worst = 0;
  for (let e = 0; e < got.length; e++) worst = Math.max(worst, Math.abs(got[e]! - ref[e]!) / (bound[e]! + 1e-30));
  return worst;
};


describe.skipIf(!avx512)('AVX-512 GEMM variants', () => {
  afterAll(() => {
    for (const name of AVX512_SWITCHES) delete process.env[name];
    addon?.setThreads(2);
  });

  it.each(GEMM_CASES.map((g) => [g.label, g] as const))('%s: conv, dW and dx match float64 references, with 1 and 2 threads alike', (_label, g) => {
    for (const name of AVX512_SWITCHES) delete process.env[name];
    addon!.setThreads(2);
    const outs = runGemmCase(addon!, g);
    const [y, dw, dx, dxAdd] = outs;
    const r = referenceConvs(g);
    expect(worstRatio(y!, r.y, r.yBound)).toBeLessThanOrEqual(1);
    expect(worstRatio(dx!, r.dx, r.dxBound)).toBeLessThanOrEqual(1);
    // dx + addend: one more rounding of a value of about |dx| + |addend|.
    const addend = randomArray(dx!.length, 54);
    const sum = r.dx.map((v, e) => v + addend[e]!);
    expect(worstRatio(dxAdd!, sum, r.dxBound.map((b, e) => b + (Math.abs(sum[e]!) + 1e-30) * 2 ** -23))).toBeLessThanOrEqual(1);
    expect(worstRatio(dw!, r.dw, r.dwBound)).toBeLessThanOrEqual(1);
    addon!.setThreads(1);
    runGemmCase(addon!, g).forEach((one, o) => expect(bits(one).equals(bits(outs[o]!)), `output ${o}`).toBe(true));
  }, 120_000);

  const pairs = AVX512_SWITCHES.flatMap((name) => [1, 2].flatMap((threads) => GEMM_CASES.map((g) => [name, threads, g.label, g] as const)));
  it.each(pairs)('%s=0 and unset give the same bits (%i threads): %s', (name, threads, _label, g) => {
    addon!.setThreads(threads);
    for (const other of AVX512_SWITCHES) delete process.env[other];
    const on = runGemmCase(addon!, g);
    process.env[name] = '0';
    const off = runGemmCase(addon!, g);
    delete process.env[name];
    ['conv', 'backprop-filter', 'backprop-input', 'backprop-input + addend'].forEach((what, o) => {
      expect(on[o]!.some((v) => v !== 0), what).toBe(true);
      expect(bits(off[o]!).equals(bits(on[o]!)), what).toBe(true);
    });
  }, 120_000);
});
