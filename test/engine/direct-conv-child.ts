/**
 * Child process of direct-conv-isa.test.ts: runs every direct-conv case on the addon (the ISA forced
 * by the parent through WORKBENCH_NATIVE_ISA, read once per process) and prints one JSON line:
 * the addon's ISA and each case's output as base64 float32, on one pool thread and on two.
 */
import { loadNativeAddon, nativeAddonReason } from '../../src-main/engine/native/native-kernels.ts';
import { DIRECT_CASES, runDirectCase } from './direct-conv-cases.ts';

const addon = loadNativeAddon();
if (!addon) throw new Error(`direct-conv-child: no addon (${nativeAddonReason()})`);
const run = (): string[] =>
  DIRECT_CASES.map((c) => {
    const y = runDirectCase(addon, c);
    return Buffer.from(y.buffer, y.byteOffset, y.byteLength).toString('base64');
  });
addon.setThreads(1);
const outputs = run();
const info = addon.info();
// The same cases with rows split over two pool threads (each output written by one task: the same bits).
addon.setThreads(2);
const outputs2 = run();
process.stdout.write(`${JSON.stringify({ info, outputs, outputs2 })}\n`);
