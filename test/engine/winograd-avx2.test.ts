/**
 * The AVX2 + FMA Winograd paths of evaluation's 3x3 stride-1 convs, with the ISA forced to AVX2 in a
 * child process (winograd-avx2-child.ts; WORKBENCH_NATIVE_ISA is read once per process): pruned widths
 * (filters not a multiple of 16, 4+ input channels) on the tile-vectorised paths, F(4x4, 3x3) for output
 * rows of 2-8 tiles (winograd_f43_pruned_avx2.cc) and F(2x2, 3x3) for the rest (winograd_pruned_avx2.cc),
 * filter counts a multiple of 16 (12+ input channels) on the channel-vectorised F(2x2) (winograd_avx2.cc).
 * Each case:
 * - within the float64 reference's bound for its variant (winograd-cases.ts), with every epilogue, and
 *   the F(2x2) path's result within F(2x2)'s bound where F(4x4) takes the case;
 * - taken exactly where expected (evaluation leaves the training call's bits there only, and F(4x4)'s
 *   switch changes exactly its cases);
 * - on an AVX-512 host, the bits of the AVX-512 evaluation path with the same variant (winograd_f43_pruned.cc,
 *   winograd_pruned.cc / winograd.cc: the same U, V, sum order and output transform);
 * - the same bits run to run and on one or two pool threads;
 * - WORKBENCH_NATIVE_WINOGRAD_AVX2=0 and WORKBENCH_NATIVE_WINOGRAD=0 give evaluation today's AVX2 bits
 *   (the training call's path), WORKBENCH_NATIVE_WINOGRAD_PRUNED=0 does for the pruned paths,
 *   WORKBENCH_NATIVE_WINOGRAD_AVX2_CHANNELS=0 for the channel-vectorised one; WORKBENCH_NATIVE_WINOGRAD_F43_AVX2=0
 *   and WORKBENCH_NATIVE_WINOGRAD_F43=0 give F(2x2)'s bits; training never changes;
 * - from its batch threshold on: WORKBENCH_NATIVE_WINOGRAD_AVX2_MIN_BATCH (pruned F(2x2): 3 images up to
 *   32 filters, 6 above), WORKBENCH_NATIVE_WINOGRAD_AVX2_CHANNELS_MIN_BATCH (2 images up to 32 filters,
 *   6 for 64), WORKBENCH_NATIVE_WINOGRAD_F43_AVX2_MIN_BATCH (3) and _NARROW (rows of 2 tiles: 12), each
 *   default checked on both sides.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { loadNativeAddon } from '../../src-main/engine/native/native-kernels.ts';
import { bits, withEnv } from './native-env.ts';
import { WINOGRAD_CASES, runWinogradCase, takesF43, takesF43Narrow, takesPrunedWinograd, takesWinograd, worstOverBound, type WinogradCase } from './winograd-cases.ts';

/** The channel-vectorised AVX2 path's cases: filters a multiple of 16 (winograd_avx2.cc). */
const takesChannels = (c: WinogradCase): boolean => takesWinograd(c) && c.co % 16 === 0;
/** The F(2x2) batch thresholds' defaults per path and width class (winograd_pruned_avx2.cc, winograd_avx2.cc). */
const defaultBatch = (c: WinogradCase): number => (takesChannels(c) ? (c.co <= 32 ? 2 : 6) : c.co > 32 ? 6 : 3);
/** F(4x4)'s default threshold (winograd_f43_pruned_avx2.cc); it is taken from the larger of it and F(2x2)'s. */
const defaultF43Batch = (c: WinogradCase): number => (takesF43Narrow(c) ? 12 : 3);

const addon = loadNativeAddon();
const child = path.join(import.meta.dirname, 'winograd-avx2-child.ts');
// AVX2 is forced only where the CPU has it (the addon picks AVX-512 or AVX2 on x86-64 machines).
const hasAvx2 = addon !== null && ['avx512f', 'avx2'].includes(addon.info().isa);

interface ChildRun {
  info: { isa: string };
  outputs: Record<string, string[]>;
}
let cached: ChildRun | null = null;
const childRun = (): ChildRun => {
  if (cached) return cached;
  const env: NodeJS.ProcessEnv = { ...process.env, WORKBENCH_NATIVE_ISA: 'avx2' };
  const out = execFileSync(process.execPath, ['--import', 'tsx', child], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  cached = JSON.parse(out.trim().split('\n').pop()!) as ChildRun;
  return cached;
};
const decode = (s: string): Float32Array => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};

describe.skipIf(!hasAvx2)('native Winograd F(2x2, 3x3) and F(4x4, 3x3) on AVX2', () => {
  it.each(WINOGRAD_CASES.map((c, k) => [c.label, c, k] as const))('%s', (_label, c: WinogradCase, k: number) => {
    const { info, outputs } = childRun();
    expect(info.isa).toBe('avx2');
    const arm = (name: string): string => outputs[name]![k]!;
    const pruned = takesPrunedWinograd(c);
    const channels = takesChannels(c);
    const takes = pruned || channels;
    const f43 = takesF43(c);
    // Taken where expected: evaluation leaves the training call's bits exactly there, F(4x4)'s switches
    // change exactly its cases (to F(2x2)'s bits).
    expect(arm('on') === arm('training')).toBe(!takes);
    expect(arm('f43Off') === arm('on')).toBe(!f43);
    expect(arm('allF43Off')).toBe(arm('f43Off'));
    if (takes) expect(worstOverBound(c, decode(arm('on')), f43)).toBeLessThanOrEqual(1);
    if (f43) expect(worstOverBound(c, decode(arm('f43Off')), false)).toBeLessThanOrEqual(1);
    // Deterministic: run to run, one or two threads.
    expect(arm('again')).toBe(arm('on'));
    expect(arm('twoThreads')).toBe(arm('on'));
    // Switches off give today's AVX2 evaluation bits (the training call's path); training never changes.
    for (const off of ['off', 'allWinogradOff']) expect(arm(off), off).toBe(arm('training'));
    expect(arm('prunedOff')).toBe(pruned ? arm('training') : arm('on'));
    expect(arm('channelsOff')).toBe(channels ? arm('training') : arm('on'));
    expect(arm('trainingOff')).toBe(arm('training'));
    // The batch thresholds: their defaults (F(4x4) from the larger of its own and F(2x2)'s), moved by the variables.
    const n = c.x[0];
    const byDefault = !takes ? arm('on') : n < defaultBatch(c) ? arm('training') : f43 && n < defaultF43Batch(c) ? arm('f43Off') : arm('on');
    expect(arm('defaultThreshold')).toBe(byDefault);
    expect(arm('threshold3')).toBe(!takes ? arm('on') : n < 3 ? arm('training') : arm('on'));
    // On an AVX-512 host: the AVX-512 evaluation path's bits with the same variant where it takes the case.
    if (takes && addon!.info().isa === 'avx512f') {
      const thresholds = {
        WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH: '1',
        WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED: '1',
        WORKBENCH_NATIVE_WINOGRAD_PRUNED_MIN_BATCH: '1',
        WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH: '1',
        WORKBENCH_NATIVE_WINOGRAD_F43_MIN_BATCH_NARROW: '1',
      };
      // For F(4x4), the channel-vectorised path out of reach (it keeps widths that fill their vectors, 45 of 48).
      const avx512 = (f43Switch: string): Float32Array =>
        withEnv({ ...thresholds, WORKBENCH_NATIVE_WINOGRAD_F43: f43Switch, ...(f43Switch === '1' && f43 ? { WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED: '100000' } : {}) }, () =>
          runWinogradCase(addon!, c, 1),
        );
      expect(bits(avx512('1')).equals(bits(decode(arm('on'))))).toBe(true);
      if (f43) expect(bits(avx512('0')).equals(bits(decode(arm('f43Off'))))).toBe(true);
    }
  }, 120_000);

  it.each([
    ['pruned, up to 32 filters', (c: WinogradCase) => takesPrunedWinograd(c) && c.co <= 32],
    ['pruned, over 32 filters', (c: WinogradCase) => takesPrunedWinograd(c) && c.co > 32],
    ['up to 32 filters, a multiple of 16', (c: WinogradCase) => takesChannels(c) && c.co <= 32],
    ['64 filters', (c: WinogradCase) => takesChannels(c) && c.co > 32],
    ['F(4x4), rows of 3-8 tiles', (c: WinogradCase) => takesF43(c) && !takesF43Narrow(c)],
    ['F(4x4), rows of 2 tiles', (c: WinogradCase) => takesF43Narrow(c)],
  ] as const)('the cases cover both sides of the default threshold (%s) and of 3', (_label, inClass) => {
    const cases = WINOGRAD_CASES.filter(inClass);
    const threshold = (c: WinogradCase): number => (takesF43(c) ? Math.max(defaultBatch(c), defaultF43Batch(c)) : defaultBatch(c));
    expect(cases.some((c) => c.x[0] < threshold(c))).toBe(true);
    expect(cases.some((c) => c.x[0] >= threshold(c))).toBe(true);
    expect(cases.some((c) => c.x[0] < 3)).toBe(true);
    expect(cases.some((c) => c.x[0] >= 3)).toBe(true);
  });
});
