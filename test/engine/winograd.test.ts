/**
 * The native Winograd F(2x2, 3x3) path of evaluation's 3x3 stride-1 convs (conv2dEx with
 * inference = 1, the conv-tail op's call; src-main/engine/native/src/winograd.cc):
 * - within a bound derived from its transformed sums of a float64 reference (winograd-cases.ts),
 *   with every epilogue (bias, ReLU, residual, constant-input map, scatter to a wider row);
 * - deterministic: the same bits on every run and on one or two pool threads;
 * - inference only: the training call (inference = 0) keeps the GEMM path's bits whatever the
 *   switch, and WORKBENCH_NATIVE_WINOGRAD=0 (read per call) gives evaluation those bits too;
 * - on AVX-512 it is really taken (other bits than the GEMM path), elsewhere not at all;
 * - only from a batch threshold on: WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH for filter counts that fill
 *   whole 16-channel vectors (default 8), WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED for the other
 *   widths (default 64); the cases run with both at 1, and each default is checked on both sides.
 */
import { describe, it, expect } from 'vitest';
import { loadNativeAddon, nativeAddonReason } from '../../src-main/engine/native/native-kernels.ts';
import { bits, onThreads, withEnv } from './native-env.ts';
import { WINOGRAD_CASES, referenceConv, runWinogradCase, takesWinograd, type WinogradCase } from './winograd-cases.ts';

const addon = loadNativeAddon();
if (!addon && process.env.CI) throw new Error(`native kernels are required under CI: ${nativeAddonReason()}`);

describe.skipIf(!addon)('native Winograd F(2x2, 3x3) for evaluation convs', () => {
  const avx512 = addon?.info().isa === 'avx512f';

  it.each(WINOGRAD_CASES.map((c) => [c.label, c] as const))('%s', (_label, c: WinogradCase) => withEnv({ WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH: '1', WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED: '1' }, () => {
    const evaluation = runWinogradCase(addon!, c, 1);
    const training = runWinogradCase(addon!, c, 0);
    const { y, bound } = referenceConv(c);
    expect(evaluation.length).toBe(y.length);
    if (takesWinograd(c)) {
      let worst = 0;
      for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(evaluation[i]! - y[i]!) / (bound[i]! + 1e-30));
      expect(worst).toBeLessThanOrEqual(1);
    }
    // Taken on AVX-512 only, and only for 3x3 stride-1 convs of 8+ input channels.
    expect(bits(evaluation).equals(bits(training))).toBe(!(avx512 && takesWinograd(c)));
    // Same bits run to run and on one or two threads.
    expect(bits(runWinogradCase(addon!, c, 1)).equals(bits(evaluation))).toBe(true);
    expect(bits(onThreads(addon!, 1, () => runWinogradCase(addon!, c, 1))).equals(bits(evaluation))).toBe(true);
    expect(bits(onThreads(addon!, 2, () => runWinogradCase(addon!, c, 1))).equals(bits(evaluation))).toBe(true);
    // The switch off: evaluation gets the training call's bits; training never changes.
    withEnv({ WORKBENCH_NATIVE_WINOGRAD: '0' }, () => {
      expect(bits(runWinogradCase(addon!, c, 1)).equals(bits(training))).toBe(true);
      expect(bits(runWinogradCase(addon!, c, 0)).equals(bits(training))).toBe(true);
    });
  }));

  // Whether evaluation left the training call's bits, i.e. Winograd was not taken.
  const skipped = (c: WinogradCase): boolean => bits(runWinogradCase(addon!, c, 1)).equals(bits(runWinogradCase(addon!, c, 0)));
  const THRESHOLDS = [
    { label: 'filters a multiple of 16', variable: 'WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH', defaultBatch: 8, fits: (c: WinogradCase) => c.co % 16 === 0 },
    { label: 'pruned widths', variable: 'WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED', defaultBatch: 64, fits: (c: WinogradCase) => c.co % 16 !== 0 },
  ];
  it.each(THRESHOLDS.map((t) => [t.label, t] as const))('by default, %s take it from their batch threshold on', (_label, t) => {
    const candidates = WINOGRAD_CASES.filter((c) => takesWinograd(c) && t.fits(c));
    const small = candidates.find((c) => c.x[0] < t.defaultBatch)!;
    const large = candidates.find((c) => c.x[0] >= t.defaultBatch)!;
    expect(small && large).toBeTruthy();
    const unset = { WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH: '', WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED: '' };
    withEnv(unset, () => {
      expect(skipped(small)).toBe(true);
      expect(skipped(large)).toBe(!avx512);
    });
    // The variable moves this threshold only.
    withEnv({ ...unset, [t.variable]: String(large.x[0] + 1) }, () => expect(skipped(large)).toBe(true));
    withEnv({ ...unset, [t.variable]: String(small.x[0]) }, () => expect(skipped(small)).toBe(!avx512));
  });
});
