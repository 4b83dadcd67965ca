/**
 * Child process of winograd-avx2.test.ts: the Winograd cases (winograd-cases.ts) with the addon's ISA
 * forced by the parent (WORKBENCH_NATIVE_ISA, read once per process). Each arm sets kernel switches
 * (read per call) and runs every case's evaluation call; prints one JSON line: the addon's ISA and,
 * per arm, each case's output as base64 float32.
 */
import { loadNativeAddon, nativeAddonReason } from '../../src-main/engine/native/native-kernels.ts';
import { WINOGRAD_CASES, runWinogradCase } from './winograd-cases.ts';
import { onThreads, withEnv } from './native-env.ts';

const addon = loadNativeAddon();
if (!addon) throw new Error(`winograd-avx2-child: no addon (${nativeAddonReason()})`);
const encode = (y: Float32Array): string => Buffer.from(y.buffer, y.byteOffset, y.byteLength).toString('base64');
const THRESHOLDS = [
  'WORKBENCH_NATIVE_WINOGRAD_AVX2_MIN_BATCH',
  'WORKBENCH_NATIVE_WINOGRAD_AVX2_CHANNELS_MIN_BATCH',
  'WORKBENCH_NATIVE_WINOGRAD_F43_AVX2_MIN_BATCH',
  'WORKBENCH_NATIVE_WINOGRAD_F43_AVX2_MIN_BATCH_NARROW',
];
/** Every AVX2 Winograd batch threshold set to `value` ('' leaves each at its default). */
const thresholds = (value: string): Record<string, string> => Object.fromEntries(THRESHOLDS.map((name) => [name, value]));
const FROM_1 = thresholds('1');
/** Arm name -> switches, threads and the call (1: evaluation, 0: training). */
const ARMS: Record<string, { env: Record<string, string>; threads: number; inference: 0 | 1 }> = {
  on: { env: FROM_1, threads: 1, inference: 1 },
  again: { env: FROM_1, threads: 1, inference: 1 },
  twoThreads: { env: FROM_1, threads: 2, inference: 1 },
  training: { env: FROM_1, threads: 1, inference: 0 },
  off: { env: { ...FROM_1, WORKBENCH_NATIVE_WINOGRAD_AVX2: '0' }, threads: 1, inference: 1 },
  trainingOff: { env: { ...FROM_1, WORKBENCH_NATIVE_WINOGRAD_AVX2: '0' }, threads: 1, inference: 0 },
  allWinogradOff: { env: { ...FROM_1, WORKBENCH_NATIVE_WINOGRAD: '0' }, threads: 1, inference: 1 },
  prunedOff: { env: { ...FROM_1, WORKBENCH_NATIVE_WINOGRAD_PRUNED: '0' }, threads: 1, inference: 1 },
  channelsOff: { env: { ...FROM_1, WORKBENCH_NATIVE_WINOGRAD_AVX2_CHANNELS: '0' }, threads: 1, inference: 1 },
  f43Off: { env: { ...FROM_1, WORKBENCH_NATIVE_WINOGRAD_F43_AVX2: '0' }, threads: 1, inference: 1 },
  allF43Off: { env: { ...FROM_1, WORKBENCH_NATIVE_WINOGRAD_F43: '0' }, threads: 1, inference: 1 },
  defaultThreshold: { env: thresholds(''), threads: 1, inference: 1 },
  threshold3: { env: thresholds('3'), threads: 1, inference: 1 },
};
const outputs: Record<string, string[]> = {};
for (const [name, arm] of Object.entries(ARMS))
  outputs[name] = withEnv(arm.env, () => onThreads(addon, arm.threads, () => WINOGRAD_CASES.map((c) => encode(runWinogradCase(addon, c, arm.inference)))));
process.stdout.write(`${JSON.stringify({ info: addon.info(), outputs })}\n`);
