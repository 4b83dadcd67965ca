/**
 * The direct-conv cases (direct-conv-cases.ts) with the addon's ISA forced in a child process
 * (WORKBENCH_NATIVE_ISA is read once per process): AVX2 machines take the direct path's 8-pixel
 * segments for these shapes (WORKBENCH_NATIVE_DIRECT_AVX2=0: im2col + GEMM), with the epilogue fused
 * into the segments' output pass (WORKBENCH_NATIVE_DIRECT_AVX2_FUSED=0: the row sink and apply_epilogue;
 * WORKBENCH_NATIVE_DIRECT_AVX2_VECTOR=0: its gathered form channel by channel),
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
}
const runChild = (isa: string, directAvx2: string, fusedAvx2 = '1', vectorAvx2 = '1'): ChildRun => {
  const env = {
    ...process.env,
    WORKBENCH_NATIVE_ISA: isa,
    WORKBENCH_NATIVE_DIRECT_AVX2: directAvx2,
    WORKBENCH_NATIVE_DIRECT_AVX2_FUSED: fusedAvx2,
    WORKBENCH_NATIVE_DIRECT_AVX2_VECTOR: vectorAvx2,
  };
  const out = execFileSync(process.execPath, ['--import', 'tsx', child], { env, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildRun;
};

describe.skipIf(!addon)('native direct-conv cases under a forced ISA', () => {
  const runs = new Map<string, ChildRun>();
  it.each([
    ['avx2', '1', '1', '1'],
    ['avx2', '1', '1', '0'],
    ['avx2', '1', '0', '1'],
    ['avx2', '0', '1', '1'],
    ['generic', '1', '1', '1'],
  ])('WORKBENCH_NATIVE_ISA=%s, WORKBENCH_NATIVE_DIRECT_AVX2=%s, WORKBENCH_NATIVE_DIRECT_AVX2_FUSED=%s, WORKBENCH_NATIVE_DIRECT_AVX2_VECTOR=%s gives the reference values', (isa, directAvx2, fusedAvx2, vectorAvx2) => {
    const { info, outputs } = runChild(isa, directAvx2, fusedAvx2, vectorAvx2);
    runs.set(`${isa}/${directAvx2}/${fusedAvx2}/${vectorAvx2}`, { info, outputs });
    // The forced ISA took effect.
    expect(info.isa).toBe(isa);
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

  // Both sum each output over (filter row, column, input channel) in that order with one FMA per
  // term from zero (these cases have K = kh * kw * ci <= 512: one GEMM K block), and a skipped
  // out-of-image tap adds 0 exactly: the same bits.
  it('on AVX2 the direct path gives the bits of im2col + GEMM (WORKBENCH_NATIVE_DIRECT_AVX2=0)', () => {
    const direct = runs.get('avx2/1/1/1') ?? runChild('avx2', '1');
    const gemm = runs.get('avx2/0/1/1') ?? runChild('avx2', '0');
    DIRECT_CASES.forEach((c, k) => expect(direct.outputs[k], c.label).toBe(gemm.outputs[k]));
  }, 60_000);

  // The fused AVX2 epilogue adds bias and map to the accumulators and the residual per pixel in
  // apply_epilogue's order: the same bits as the row sink (and each output written once: a lane the
  // tile does not own is not touched, or the reference check above would fail on scattered cases).
  it('on AVX2 the fused epilogue gives the bits of the row sink + apply_epilogue (WORKBENCH_NATIVE_DIRECT_AVX2_FUSED=0)', () => {
    const fused = runs.get('avx2/1/1/1') ?? runChild('avx2', '1');
    const staged = runs.get('avx2/1/0/1') ?? runChild('avx2', '1', '0');
    DIRECT_CASES.forEach((c, k) => expect(fused.outputs[k], c.label).toBe(staged.outputs[k]));
  }, 60_000);

  // The gathered epilogue 8 output channels at a time (permute + blend) against the per-channel
  // scalar loop (WORKBENCH_NATIVE_DIRECT_AVX2_VECTOR=0): the same operations per output.
  it('on AVX2 the vectorised gathered epilogue gives the bits of the scalar one (WORKBENCH_NATIVE_DIRECT_AVX2_VECTOR=0)', () => {
    const vector = runs.get('avx2/1/1/1') ?? runChild('avx2', '1');
    const scalar = runs.get('avx2/1/1/0') ?? runChild('avx2', '1', '1', '0');
    DIRECT_CASES.forEach((c, k) => expect(vector.outputs[k], c.label).toBe(scalar.outputs[k]));
  }, 60_000);
});
