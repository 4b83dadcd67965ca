/**
 * The native Winograd paths (F(2x2, 3x3), and F(4x4, 3x3) for pruned widths) of evaluation's
 * 3x3 stride-1 convs (conv2dEx with inference = 1, the conv-tail op's call; src-main/engine/native/src/winograd.cc):
 * - within a bound derived from its transformed sums of a float64 reference (winograd-cases.ts),
 *   with every epilogue (bias, ReLU, residual, constant-input map, scatter to a wider row);
 * - deterministic: the same bits on every run and on one or two pool threads;
 * - inference only: the training call (inference = 0) keeps the GEMM path's bits whatever the
 *   switch, and WORKBENCH_NATIVE_WINOGRAD=0 (read per call) gives evaluation those bits too;
 * - on AVX-512 it is really taken (other bits than the GEMM path), elsewhere not at all; the AVX2
 *   paths (winograd-avx2.test.ts) are switched off here (WORKBENCH_NATIVE_WINOGRAD_AVX2=0), so that on
 *   an AVX2 host this file checks that the AVX-512 paths stay out of the way;
 * - only from a batch threshold on: WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH for filter counts that fill
 *   whole 16-channel vectors (default 8), WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED for the other
 *   widths (default 64); the cases run with both at 1, and each default is checked on both sides;
 * - pruned widths (filters not a multiple of 16) take the tile-vectorised variant (winograd_pruned.cc)
 *   from WORKBENCH_NATIVE_WINOGRAD_PRUNED_MIN_BATCH on, within the same bound, with its own bits;
 *   WORKBENCH_NATIVE_WINOGRAD_PRUNED=0 gives back the channel-vectorised path's bits, and
 *   WORKBENCH_NATIVE_WINOGRAD=0 turns both off;
 * - pruned widths on 5-32 wide output rows take F(4x4, 3x3) (winograd_f43_pruned.cc) from
 *   WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH on (rows of 2 tiles, 5-8 wide: from
 *   WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH_NARROW on), within its own (larger) derived bound;
 *   WORKBENCH_NATIVE_WINOGRAD_F43=0 gives back the F(2x2) variant's bits.
 */
import { describe, it, expect } from 'vitest';
import { loadNativeAddon, nativeAddonReason } from '../../src-main/engine/native/native-kernels.ts';
import { bits, onThreads, withEnv } from './native-env.ts';
import { WINOGRAD_CASES, fillsVectors, runWinogradCase, takesF43, takesF43Narrow, takesPrunedWinograd, takesWinograd, worstOverBound, type WinogradCase } from './winograd-cases.ts';

/** WORKBENCH_NATIVE_WINOGRAD_PRUNED_MIN_BATCH's default (winograd_pruned.cc). */
const PRUNED_DEFAULT_BATCH = 2;
/** WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH's default (winograd_f43_pruned.cc). */
const F43_DEFAULT_BATCH = 2;
/** WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH_NARROW's default (rows of 2 tiles, winograd_f43_pruned.cc). */
const F43_NARROW_DEFAULT_BATCH = 7;

const addon = loadNativeAddon();
if (!addon && process.env.CI) throw new Error(`native kernels are required under CI: ${nativeAddonReason()}`);

describe.skipIf(!addon)('native Winograd F(2x2, 3x3) and F(4x4, 3x3) for evaluation convs', () => {
  const avx512 = addon?.info().isa === 'avx512f';

  const NO_AVX2 = { WORKBENCH_NATIVE_WINOGRAD_AVX2: '0' };
  const ALL_FROM_1 = {
    ...NO_AVX2,
    WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH: '1',
    WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED: '1',
    WORKBENCH_NATIVE_WINOGRAD_PRUNED_MIN_BATCH: '1',
    WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH: '1',
    WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH_NARROW: '1',
  };
  it.each(WINOGRAD_CASES.map((c) => [c.label, c] as const))('%s', (_label, c: WinogradCase) => withEnv(ALL_FROM_1, () => {
    const evaluation = runWinogradCase(addon!, c, 1);
    const training = runWinogradCase(addon!, c, 0);
    const channelVectorised = withEnv({ WORKBENCH_NATIVE_WINOGRAD_PRUNED: '0' }, () => runWinogradCase(addon!, c, 1));
    const f22 = withEnv({ WORKBENCH_NATIVE_WINOGRAD_F43: '0' }, () => runWinogradCase(addon!, c, 1));
    // The channel-vectorised path out of reach: the tile-vectorised variants take every pruned width
    // (45 filters included, as at batch 32 by default), F(4x4) where the shape fits.
    const TILES = { WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED: '100000' };
    const tiles = withEnv(TILES, () => runWinogradCase(addon!, c, 1));
    const tilesF22 = withEnv({ ...TILES, WORKBENCH_NATIVE_WINOGRAD_F43: '0' }, () => runWinogradCase(addon!, c, 1));
    const f43 = avx512 && takesF43(c);
    if (takesWinograd(c) || takesPrunedWinograd(c)) {
      expect(worstOverBound(c, evaluation, f43 && !fillsVectors(c))).toBeLessThanOrEqual(1);
      expect(worstOverBound(c, f22, false)).toBeLessThanOrEqual(1);
      expect(worstOverBound(c, channelVectorised, false)).toBeLessThanOrEqual(1);
      expect(worstOverBound(c, tiles, f43)).toBeLessThanOrEqual(1);
      expect(worstOverBound(c, tilesF22, false)).toBeLessThanOrEqual(1);
    }
    // F(4x4) is taken exactly where expected (other bits than F(2x2)); off, it gives F(2x2)'s bits back.
    expect(bits(evaluation).equals(bits(f22))).toBe(!(f43 && !fillsVectors(c)));
    expect(bits(tiles).equals(bits(tilesF22))).toBe(!f43);
    // The tile-vectorised variant computes the channel-vectorised path's transforms and sums in the same
    // order: where both take a shape, the same bits (the switch gives those back either way).
    if (takesWinograd(c) || !takesPrunedWinograd(c)) expect(bits(f22).equals(bits(channelVectorised))).toBe(true);
    expect(bits(channelVectorised).equals(bits(training))).toBe(!(avx512 && takesWinograd(c)));
    // Taken on AVX-512 only, and only for 3x3 stride-1 convs.
    expect(bits(evaluation).equals(bits(training))).toBe(!(avx512 && (takesWinograd(c) || takesPrunedWinograd(c))));
    // Same bits run to run and on one or two threads.
    expect(bits(runWinogradCase(addon!, c, 1)).equals(bits(evaluation))).toBe(true);
    expect(bits(onThreads(addon!, 1, () => runWinogradCase(addon!, c, 1))).equals(bits(evaluation))).toBe(true);
    expect(bits(onThreads(addon!, 2, () => runWinogradCase(addon!, c, 1))).equals(bits(evaluation))).toBe(true);
    withEnv(TILES, () => {
      expect(bits(runWinogradCase(addon!, c, 1)).equals(bits(tiles))).toBe(true);
      expect(bits(onThreads(addon!, 1, () => runWinogradCase(addon!, c, 1))).equals(bits(tiles))).toBe(true);
      expect(bits(onThreads(addon!, 2, () => runWinogradCase(addon!, c, 1))).equals(bits(tiles))).toBe(true);
    });
    // The switch off: evaluation gets the training call's bits; training never changes.
    withEnv({ WORKBENCH_NATIVE_WINOGRAD: '0' }, () => {
      expect(bits(runWinogradCase(addon!, c, 1)).equals(bits(training))).toBe(true);
      expect(bits(runWinogradCase(addon!, c, 0)).equals(bits(training))).toBe(true);
    });
  }));

  // Whether evaluation kept the bits it has with the path's switch `off` (default: the training call's), i.e. the path was not taken.
  const skipped = (c: WinogradCase, off?: Record<string, string>): boolean =>
    bits(runWinogradCase(addon!, c, 1)).equals(bits(off ? withEnv(off, () => runWinogradCase(addon!, c, 1)) : runWinogradCase(addon!, c, 0)));
  // Each threshold checked with the other pruned path out of the way (off, or from a batch no case has).
  interface Threshold {
    label: string;
    variable: string;
    defaultBatch: number;
    takes: (c: WinogradCase) => boolean;
    fits: (c: WinogradCase) => boolean;
    other: Record<string, string>;
    off?: Record<string, string>;
  }
  const THRESHOLDS: Threshold[] = [
    { label: 'filters a multiple of 16', variable: 'WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH', defaultBatch: 8, takes: takesWinograd, fits: (c: WinogradCase) => c.co % 16 === 0, other: {} },
    {
      label: 'pruned widths (channel-vectorised)',
      variable: 'WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED',
      defaultBatch: 64,
      takes: takesWinograd,
      fits: (c: WinogradCase) => c.co % 16 !== 0,
      other: { WORKBENCH_NATIVE_WINOGRAD_PRUNED: '0' },
    },
    {
      label: 'pruned widths (tile-vectorised)',
      variable: 'WORKBENCH_NATIVE_WINOGRAD_PRUNED_MIN_BATCH',
      defaultBatch: PRUNED_DEFAULT_BATCH,
      takes: takesPrunedWinograd,
      fits: () => true,
      other: { WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED: '100000' },
    },
    {
      label: 'pruned widths on 9-32 wide maps (F(4x4, 3x3))',
      variable: 'WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH',
      defaultBatch: F43_DEFAULT_BATCH,
      takes: takesF43,
      fits: (c: WinogradCase) => !takesF43Narrow(c),
      other: { WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED: '100000', WORKBENCH_NATIVE_WINOGRAD_PRUNED_MIN_BATCH: '1' },
      off: { WORKBENCH_NATIVE_WINOGRAD_F43: '0' },
    },
    {
      label: 'pruned widths on 5-8 wide maps (F(4x4, 3x3), rows of 2 tiles)',
      variable: 'WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH_NARROW',
      defaultBatch: F43_NARROW_DEFAULT_BATCH,
      takes: takesF43Narrow,
      fits: () => true,
      other: { WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED: '100000', WORKBENCH_NATIVE_WINOGRAD_PRUNED_MIN_BATCH: '1' },
      off: { WORKBENCH_NATIVE_WINOGRAD_F43: '0' },
    },
  ];
  it.each(THRESHOLDS.map((t) => [t.label, t] as const))('by default, %s take it from their batch threshold on', (_label, t) => {
    const candidates = WINOGRAD_CASES.filter((c) => t.takes(c) && t.fits(c));
    const small = candidates.find((c) => c.x[0] < t.defaultBatch)!;
    const large = candidates.find((c) => c.x[0] >= t.defaultBatch)!;
    expect(small && large).toBeTruthy();
    const unset = {
      ...NO_AVX2,
      WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH: '',
      WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED: '',
      WORKBENCH_NATIVE_WINOGRAD_PRUNED_MIN_BATCH: '',
      WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH: '',
      WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH_NARROW: '',
      ...t.other,
    };
    withEnv(unset, () => {
      expect(skipped(small, t.off)).toBe(true);
      expect(skipped(large, t.off)).toBe(!avx512);
    });
    // The variable moves this threshold only.
    withEnv({ ...unset, [t.variable]: String(large.x[0] + 1) }, () => expect(skipped(large, t.off)).toBe(true));
    withEnv({ ...unset, [t.variable]: String(small.x[0]) }, () => expect(skipped(small, t.off)).toBe(!avx512));
  });
});
