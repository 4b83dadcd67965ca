/**
 * Child process of gemm-avx2-isa.test.ts: runs every GEMM case (gemm-avx2-cases.ts) on the addon
 * (the ISA forced by the parent through WORKBENCH_NATIVE_ISA, read once per process) with 1 and 2
 * threads, with each AVX2 switch unset and =0 (read per call), and prints one JSON line: the addon's
 * ISA and, per run, each case's conv, backprop-filter and backprop-input outputs as base64 float32.
 */
import { loadNativeAddon, nativeAddonReason } from '../../src-main/engine/native/native-kernels.ts';
import { AVX2_SWITCHES, GEMM_CASES, runGemmCase } from './gemm-avx2-cases.ts';

const addon = loadNativeAddon();
if (!addon) throw new Error(`gemm-avx2-child: no addon (${nativeAddonReason()})`);
const base64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const runs: Record<string, string[][]> = {};
for (const threads of [1, 2]) {
  addon.setThreads(threads);
  for (const off of ['', ...AVX2_SWITCHES]) {
    for (const name of AVX2_SWITCHES) delete process.env[name];
    if (off) process.env[off] = '0';
    runs[`${threads}/${off || 'on'}`] = GEMM_CASES.map((g) => runGemmCase(addon, g).map(base64));
  }
}
process.stdout.write(`${JSON.stringify({ info: addon.info(), runs })}\n`);
