/**
 * The direct-conv cases (direct-conv-cases.ts) with the addon's ISA forced in a child process
 * (WORKBENCH_NATIVE_ISA is read once per process): AVX2 machines take the direct path's 8-pixel
 * segments for these shapes (WORKBENCH_NATIVE_DIRECT_AVX2=0: im2col + GEMM), with the epilogue fused
 * into the segments' output pass (WORKBENCH_NATIVE_DIRECT_AVX2_FUSED=0: the row sink and apply_epilogue;
 * WORKBENCH_NATIVE_DIRECT_AVX2_VECTOR=0: its gathered form channel by channel;
 * WORKBENCH_NATIVE_DIRECT_AVX2_TRANSPOSE=0: the staging tile instead of register transposes;
 * WORKBENCH_NATIVE_DIRECT_AVX2_PLANAR=0: the plain planar copy; WORKBENCH_NATIVE_DIRECT_AVX2_ROWS=0:
 * each tile blends its scattered lanes into y instead of the segment row buffer; WORKBENCH_NATIVE_DIRECT_TIGHT=0:
 * planar rows 16 floats longer, as before; WORKBENCH_NATIVE_DIRECT_AVX2_PACK=0: the filter read in place
 * instead of each channel tile's columns packed; WORKBENCH_NATIVE_DIRECT_AVX2_FUSED_SMALL=0: batches under
 * 4 through the row sink, as before; WORKBENCH_NATIVE_DIRECT_PLANAR2=0: the stride-2 planar copy as
 * the plain loop),
 * the generic build the GEMM path, and the epilogue (scatter, map, residual, ReLU) must give the
 * reference's values on each.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { loadNativeAddon } from '../../src-main/engine/native/native-kernels.ts';
import { DIRECT_CASES, referenceConv } from './direct-conv-cases.ts';

const addon = loadNativeAddon();
const child = path.join(import.meta.dirname, 'direct-conv-child.ts');

interface ChildRun {
  info: { isa: string };
  outputs: string[];
  /** The same on two pool threads. */
  outputs2: string[];
}
const runChild = (isa: string, off: string[]): ChildRun => {
  const env: NodeJS.ProcessEnv = { ...process.env, WORKBENCH_NATIVE_ISA: isa };
  for (const name of SWITCHES) env[name] = off.includes(name) ? '0' : '1';
  const out = execFileSync(process.execPath, ['--import', 'tsx', child], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildRun;
};

/** The AVX2 direct path's per-call switches (each set in every child: 1 unless the arm turns it off). */
const SWITCHES = [
  'WORKBENCH_NATIVE_DIRECT_AVX2',
  'WORKBENCH_NATIVE_DIRECT_AVX2_FUSED',
  'WORKBENCH_NATIVE_DIRECT_AVX2_VECTOR',
  'WORKBENCH_NATIVE_DIRECT_AVX2_TRANSPOSE',
  'WORKBENCH_NATIVE_DIRECT_AVX2_PLANAR',
  'WORKBENCH_NATIVE_DIRECT_AVX2_ROWS',
  'WORKBENCH_NATIVE_DIRECT_TIGHT',
  'WORKBENCH_NATIVE_DIRECT_AVX2_PACK',
  'WORKBENCH_NATIVE_DIRECT_AVX2_FUSED_SMALL',
  'WORKBENCH_NATIVE_DIRECT_PLANAR2',
];

/**
 * Each arm turns switches off; every arm must give the reference's values, and every AVX2 arm the
 * bits of the arm with all of them on: im2col + GEMM sums each output over (filter row, column,
 * input channel) in the same order with one FMA per term from zero (these cases have K <= 512: one
 * GEMM K block; a skipped out-of-image tap adds 0 exactly), the row sink + apply_epilogue, the
 * scalar gathered epilogue, the staging tile (instead of 8 x 8 register transposes), the plain
 * planar copy, the per-tile blend into y (instead of the segment row buffer) and the longer planar rows, the unpacked filter and the row sink below 4 images all apply the same
 * operations per output in the same order.
 */
const ARMS: { isa: string; off: string[] }[] = [
  { isa: 'avx2', off: [] },
  ...SWITCHES.map((name) => ({ isa: 'avx2', off: [name] })),
  { isa: 'avx2', off: ['WORKBENCH_NATIVE_DIRECT_AVX2_TRANSPOSE', 'WORKBENCH_NATIVE_DIRECT_AVX2_PLANAR'] },
  { isa: 'generic', off: [] },
];
const armLabel = (a: { isa: string; off: string[] }): string => `WORKBENCH_NATIVE_ISA=${a.isa}${a.off.map((n) => `, ${n}=0`).join('')}`;

describe.skipIf(!addon)('native direct-conv cases under a forced ISA', () => {
  const runs = new Map<string, ChildRun>();
  const run = (a: { isa: string; off: string[] }): ChildRun => {
    const key = armLabel(a);
    if (!runs.has(key)) runs.set(key, runChild(a.isa, a.off));
    return runs.get(key)!;
  };
  it.each(ARMS.map((a) => [armLabel(a), a] as const))('%s gives the reference values', (_label, a) => {
    const { info, outputs, outputs2 } = run(a);
    // The forced ISA took effect.
    expect(info.isa).toBe(a.isa);
    // Two pool threads give the bits of one (each output row written by one task, in a fixed order).
    DIRECT_CASES.forEach((c, k) => expect(outputs2[k], `${c.label}, 2 threads`).toBe(outputs[k]));
    expect(outputs.length).toBe(DIRECT_CASES.length);
    DIRECT_CASES.forEach((c, k) => {
      const bytes = Buffer.from(outputs[k]!, 'base64');
      const y = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      const ref = referenceConv(c);
      let worst = 0;
      for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i]! - ref.y[i]!) / (ref.bound[i]! + 1e-30));
      expect(worst, c.label).toBeLessThanOrEqual(1);
    });
  }, 60_000);

  it.each(ARMS.filter((a) => a.isa === 'avx2' && a.off.length > 0).map((a) => [armLabel(a), a] as const))('%s gives the bits of the AVX2 path with every switch on', (_label, a) => {
    const on = run({ isa: 'avx2', off: [] });
    const off = run(a);
    DIRECT_CASES.forEach((c, k) => expect(off.outputs[k], c.label).toBe(on.outputs[k]));
  }, 60_000);
});
