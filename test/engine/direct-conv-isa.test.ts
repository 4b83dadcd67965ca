/**
 * The direct-conv cases (direct-conv-cases.ts) with the addon's ISA forced in a child process
 * (WORKBENCH_NATIVE_ISA is read once per process): AVX2 machines take the GEMM path for these
 * shapes, and its epilogue (scatter, map, residual, ReLU) must give the reference's values there too.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { loadNativeAddon } from '../../src-main/engine/native/native-kernels.ts';
import { DIRECT_CASES, referenceConv } from './direct-conv-cases.ts';

const addon = loadNativeAddon();
const child = path.join(import.meta.dirname, 'direct-conv-child.ts');

describe.skipIf(!addon)('native direct-conv cases under a forced ISA', () => {
  it.each(['avx2', 'generic'])('WORKBENCH_NATIVE_ISA=%s gives the reference values', (isa) => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, WORKBENCH_NATIVE_ISA: isa }, encoding: 'utf8' });
    const { info, outputs } = JSON.parse(out.trim().split('\n').pop()!) as { info: { isa: string }; outputs: string[] };
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
});
