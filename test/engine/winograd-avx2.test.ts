/**
 * The AVX2 + FMA Winograd F(2x2, 3x3) paths of evaluation's 3x3 stride-1 convs, with the ISA forced
 * to AVX2 in a child process (winograd-avx2-child.ts; WORKBENCH_NATIVE_ISA is read once per process):
 * pruned widths (filters not a multiple of 16, 4+ input channels) on the tile-vectorised path
 * (winograd_pruned_avx2.cc), filter counts a multiple of 16 (12+ input channels) on the
 * channel-vectorised one (winograd_avx2.cc). Each case:
 * - within the float64 reference's bound (winograd-cases.ts), with every epilogue;
 * - taken exactly where expected (evaluation leaves the training call's bits there only);
 * - on an AVX-512 host, the bits of the AVX-512 F(2x2) evaluation path (winograd_pruned.cc / winograd.cc: the
 *   same U, V, sum order and output transform), with its F(4x4) variant for pruned widths switched off;
 * - the same bits run to run and on one or two pool threads;
 * - WORKBENCH_NATIVE_WINOGRAD_AVX2=0 and WORKBENCH_NATIVE_WINOGRAD=0 give evaluation today's AVX2 bits
 *   (the training call's path), WORKBENCH_NATIVE_WINOGRAD_PRUNED=0 does for the pruned path,
 *   WORKBENCH_NATIVE_WINOGRAD_AVX2_CHANNELS=0 for the channel-vectorised one; training never changes;
 * - from its batch threshold on: WORKBENCH_NATIVE_WINOGRAD_AVX2_MIN_BATCH (pruned: 3 images up to 32
 *   filters, 6 above), WORKBENCH_NATIVE_WINOGRAD_AVX2_CHANNELS_MIN_BATCH (2 images up to 32 filters, 6
 *   for 64), each default checked on both sides.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { loadNativeAddon } from '../../src-main/engine/native/native-kernels.ts';
import { bits, withEnv } from './native-env.ts';
import { WINOGRAD_CASES, referenceConv, runWinogradCase, takesPrunedWinograd, takesWinograd, type WinogradCase } from './winograd-cases.ts';

/** The channel-vectorised AVX2 path's cases: filters a multiple of 16 (winograd_avx2.cc). */
const takesChannels = (c: WinogradCase): boolean => takesWinograd(c) && c.co % 16 === 0;
/** The batch thresholds' defaults per path and width class (winograd_pruned_avx2.cc, winograd_avx2.cc). */
const defaultBatch = (c: WinogradCase): number => (takesChannels(c) ? (c.co <= 32 ? 2 : 6) : c.co > 32 ? 6 : 3);

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

describe.skipIf(!hasAvx2)('native Winograd F(2x2, 3x3) on AVX2', () => {
  it.each(WINOGRAD_CASES.map((c, k) => [c.label, c, k] as const))('%s', (_label, c: WinogradCase, k: number) => {
    const { info, outputs } = childRun();
    expect(info.isa).toBe('avx2');
    const arm = (name: string): string => outputs[name]![k]!;
    const pruned = takesPrunedWinograd(c);
    const channels = takesChannels(c);
    const takes = pruned || channels;
    // Taken where expected: evaluation leaves the training call's bits exactly there.
    expect(arm('on') === arm('training')).toBe(!takes);
    if (takes) {
      const { y, bound } = referenceConv(c);
      const got = decode(arm('on'));
      expect(got.length).toBe(y.length);
      let worst = 0;
      for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(got[i]! - y[i]!) / (bound[i]! + 1e-30));
      expect(worst).toBeLessThanOrEqual(1);
    }
    // Deterministic: run to run, one or two threads.
    expect(arm('again')).toBe(arm('on'));
    expect(arm('twoThreads')).toBe(arm('on'));
    // Switches off give today's AVX2 evaluation bits (the training call's path); training never changes.
    for (const off of ['off', 'allWinogradOff']) expect(arm(off), off).toBe(arm('training'));
    expect(arm('prunedOff')).toBe(pruned ? arm('training') : arm('on'));
    expect(arm('channelsOff')).toBe(channels ? arm('training') : arm('on'));
    expect(arm('trainingOff')).toBe(arm('training'));
    // The batch thresholds: their defaults, moved by the variables.
    expect(arm('defaultThreshold') === arm('on')).toBe(!takes || c.x[0] >= defaultBatch(c));
    expect(arm('threshold3') === arm('on')).toBe(!takes || c.x[0] >= 3);
    // On an AVX-512 host: the AVX-512 F(2x2) evaluation path's bits where it takes the case.
    if (takes && addon!.info().isa === 'avx512f') {
      const avx512 = withEnv({ WORKBENCH_NATIVE_WINOGRAD_F43: '0', WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH: '1', WORKBENCH_NATIVE_WINOGRAD_MIN_BATCH_PRUNED: '1', WORKBENCH_NATIVE_WINOGRAD_PRUNED_MIN_BATCH: '1' }, () =>
        runWinogradCase(addon!, c, 1),
      );
      expect(bits(avx512).equals(bits(decode(arm('on'))))).toBe(true);
    }
  }, 120_000);

  it.each([
    ['pruned, up to 32 filters', (c: WinogradCase) => takesPrunedWinograd(c) && c.co <= 32],
    ['pruned, over 32 filters', (c: WinogradCase) => takesPrunedWinograd(c) && c.co > 32],
    ['up to 32 filters, a multiple of 16', (c: WinogradCase) => takesChannels(c) && c.co <= 32],
    ['64 filters', (c: WinogradCase) => takesChannels(c) && c.co > 32],
  ] as const)('the cases cover both sides of the default threshold (%s) and of 3', (_label, inClass) => {
    const cases = WINOGRAD_CASES.filter(inClass);
    expect(cases.some((c) => c.x[0] < defaultBatch(c))).toBe(true);
    expect(cases.some((c) => c.x[0] >= defaultBatch(c))).toBe(true);
    expect(cases.some((c) => c.x[0] < 3)).toBe(true);
    expect(cases.some((c) => c.x[0] >= 3)).toBe(true);
  });
});
