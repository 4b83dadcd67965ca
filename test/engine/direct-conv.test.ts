/**
 * The native direct (pixel-vectorised) convolution's newer paths, each against the path it replaces
 * and against a float64 reference:
 * - the epilogue fused into the direct conv's output pass (channel scatter to the residual width,
 *   constant-input map, bias, residual, ReLU written straight from registers): bit for bit equal
 *   to the row sink + apply_epilogue path (`WORKBENCH_NATIVE_DIRECT_FUSED=0`), same operations in
 *   the same order;
 * - stride 2 on the direct path (`WORKBENCH_NATIVE_DIRECT_STRIDE2=0` sends it to im2col + GEMM);
 * - two 16-pixel segments per pass over the filter (`WORKBENCH_NATIVE_DIRECT_PAIRS=0`: one at a time);
 * - the fused epilogue's prefetch of residual and output lines (`WORKBENCH_NATIVE_DIRECT_PREFETCH=0`);
 * - planar input rows only as long as the segments' loads reach (`WORKBENCH_NATIVE_DIRECT_TIGHT=0`);
 * - the stride-2 planar copy by register transposes (`WORKBENCH_NATIVE_DIRECT_PLANAR2=0`).
 * The switches are read per call. On a CPU without AVX-512 the direct path is not taken and every
 * comparison runs the GEMM path on both sides (still checked against the reference);
 * `direct-conv-isa.test.ts` runs the same cases with WORKBENCH_NATIVE_ISA=avx2 and =generic in child processes.
 */
import { describe, it, expect } from 'vitest';
import { loadNativeAddon, nativeAddonReason } from '../../src-main/engine/native/native-kernels.ts';
import { DIRECT_CASES, runDirectCase, referenceConv, type DirectCase } from './direct-conv-cases.ts';
import { bits, onThreads, withEnv } from './native-env.ts';

const addon = loadNativeAddon();
if (!addon && process.env.CI) throw new Error(`native kernels are required under CI: ${nativeAddonReason()}`);

describe.skipIf(!addon)('native direct convolution: fused epilogue and stride 2', () => {
  it.each(DIRECT_CASES.map((c) => [c.label, c] as const))('fused epilogue equals the row-sink epilogue bit for bit, and the reference: %s', (_label, c: DirectCase) => {
    const fused = withEnv({ WORKBENCH_NATIVE_DIRECT_FUSED: '1' }, () => runDirectCase(addon!, c));
    const staged = withEnv({ WORKBENCH_NATIVE_DIRECT_FUSED: '0' }, () => runDirectCase(addon!, c));
    const { y, bound } = referenceConv(c);
    expect(fused.length).toBe(y.length);
    // The reference first: a fused path that wrote nothing (or zeros) would equal nothing.
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(fused[i]! - y[i]!) / (bound[i]! + 1e-30));
    expect(worst).toBeLessThanOrEqual(1);
    expect(bits(fused).equals(bits(staged))).toBe(true);
    // The residual/output prefetch only requests lines (WORKBENCH_NATIVE_DIRECT_PREFETCH=0: none).
    const unprefetched = withEnv({ WORKBENCH_NATIVE_DIRECT_PREFETCH: '0' }, () => runDirectCase(addon!, c));
    expect(bits(unprefetched).equals(bits(fused))).toBe(true);
    // Rows split over two pool threads: the same bits (each output written by one task).
    expect(bits(onThreads(addon!, 2, () => runDirectCase(addon!, c))).equals(bits(fused))).toBe(true);
  });

  // Rows of more than 16 pixels run two segments per pass over the filter where the channel tiles
  // have at most 12 filters: the same FMAs in the same order per output as one segment at a time.
  it.each(DIRECT_CASES.map((c) => [c.label, c] as const))('two segments per pass equal one at a time bit for bit: %s', (_label, c: DirectCase) => {
    const pairs = runDirectCase(addon!, c);
    const single = withEnv({ WORKBENCH_NATIVE_DIRECT_PAIRS: '0' }, () => runDirectCase(addon!, c));
    expect(bits(pairs).equals(bits(single))).toBe(true);
  });

  // The planar input rows as long as the segments' loads reach (WORKBENCH_NATIVE_DIRECT_TIGHT=0: 16
  // floats more, as before): only where the copy lies changes, not what is summed.
  it.each(DIRECT_CASES.map((c) => [c.label, c] as const))('tight planar rows equal the padded ones bit for bit: %s', (_label, c: DirectCase) => {
    const tight = runDirectCase(addon!, c);
    const padded = withEnv({ WORKBENCH_NATIVE_DIRECT_TIGHT: '0' }, () => runDirectCase(addon!, c));
    expect(bits(tight).equals(bits(padded))).toBe(true);
  });

  // The stride-2 planar copy as register transposes and one even/odd permute per channel
  // (WORKBENCH_NATIVE_DIRECT_PLANAR2=0: the plain loop): the same copy.
  it.each(DIRECT_CASES.filter((c) => c.stride === 2).map((c) => [c.label, c] as const))('stride-2 planar copy by transposes equals the plain loop bit for bit: %s', (_label, c: DirectCase) => {
    const transposed = runDirectCase(addon!, c);
    const plain = withEnv({ WORKBENCH_NATIVE_DIRECT_PLANAR2: '0' }, () => runDirectCase(addon!, c));
    expect(bits(transposed).equals(bits(plain))).toBe(true);
  });

  it.each(DIRECT_CASES.filter((c) => c.stride === 2).map((c) => [c.label, c] as const))('stride-2 direct conv agrees with im2col + GEMM: %s', (_label, c: DirectCase) => {
    const direct = runDirectCase(addon!, c);
    const gemm = withEnv({ WORKBENCH_NATIVE_DIRECT_STRIDE2: '0' }, () => runDirectCase(addon!, c));
    const { bound } = referenceConv(c);
    let worst = 0;
    for (let i = 0; i < gemm.length; i++) worst = Math.max(worst, Math.abs(direct[i]! - gemm[i]!) / (2 * bound[i]! + 1e-30));
    expect(worst).toBeLessThanOrEqual(1);
  });
});
