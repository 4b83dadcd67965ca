/**
 * CPU time of each conv layer of a 30%-pruned CIFAR ResNet and its unpruned twin on the native
 * addon's conv2dEx alone (no TF.js around it), with per-call kernel switches off in the same rounds:
 *
 *   node --import tsx src-main/bench/latency/conv-layer-ab.ts [--batch 32] [--reps 5] [--rounds 9] [--toggle WORKBENCH_NATIVE_DIRECT_TIGHT,...] [--only s1]
 *
 * Each sample is `reps` calls in a row (one call of a stage-3 layer is under a millisecond: single
 * calls, as in bench:latency-ab's layers part, scatter by 10-50% on a loaded machine); per round each
 * layer runs once per arm, the arms in a rotating order (whichever runs first after another layer
 * pays for the cache state it left). Reported: the median ms per call of each arm. The ISA is the
 * addon's (WORKBENCH_NATIVE_ISA=avx2 forces AVX2 + FMA on an AVX-512 machine).
 */
import os from 'node:os';
import { loadNativeAddon, nativeAddonReason } from '../../engine/native/addon.ts';
import { argValue as arg } from '../argv.ts';
import { median } from '../engine/engine-bench.ts';
import type { LayerCase } from './layer-case.ts';

const addon = loadNativeAddon();
if (!addon) throw new Error(`conv-layer-ab: no native addon (${nativeAddonReason()})`);
addon.setThreads(1);
const batch = Number(arg('batch', '32'));
const reps = Number(arg('reps', '5'));
const rounds = Number(arg('rounds', '9'));
const toggles = arg('toggle', '').split(',').filter(Boolean);
const only = arg('only', '');
const inference = process.argv.includes('--inference') ? 1 : 0;

const LAYERS: LayerCase[] = [
  { label: 'stem 3 -> 16', hw: 32, ci: 3, co: 16 },
  { label: 'stem 3 -> 12, scatter to 16', hw: 32, ci: 3, co: 12, width: 16, scatter: true },
  { label: 's1 block-last 16 -> 16 + residual', hw: 32, ci: 16, co: 16, residual: true },
  { label: 's1 block-last 12 -> 12, scatter to 16 + map + residual', hw: 32, ci: 12, co: 12, width: 16, scatter: true, residual: true, map: true },
  { label: 's1 conv1 16 -> 16', hw: 32, ci: 16, co: 16 },
  { label: 's1 conv1 16 -> 12', hw: 32, ci: 16, co: 12 },
  { label: 's2 down 16 -> 32 /2', hw: 32, ci: 16, co: 32, stride: 2 },
  { label: 's2 down 16 -> 23 /2', hw: 32, ci: 16, co: 23, stride: 2 },
  { label: 's2 block-last 32 -> 32 + residual', hw: 16, ci: 32, co: 32, residual: true },
  { label: 's2 block-last 23 -> 23, scatter to 32 + map + residual', hw: 16, ci: 23, co: 23, width: 32, scatter: true, residual: true, map: true },
  { label: 's2 conv1 32 -> 32', hw: 16, ci: 32, co: 32 },
  { label: 's2 conv1 32 -> 23', hw: 16, ci: 32, co: 23 },
  { label: 's3 down 32 -> 64 /2', hw: 16, ci: 32, co: 64, stride: 2 },
  { label: 's3 down 32 -> 45 /2', hw: 16, ci: 32, co: 45, stride: 2 },
  { label: 's3 block-last 64 -> 64 + residual', hw: 8, ci: 64, co: 64, residual: true },
  { label: 's3 block-last 45 -> 45, scatter to 64 + map + residual', hw: 8, ci: 45, co: 45, width: 64, scatter: true, residual: true, map: true },
  { label: 's3 conv1 64 -> 64', hw: 8, ci: 64, co: 64 },
  { label: 's3 conv1 64 -> 45', hw: 8, ci: 64, co: 45 },
];

/** Deterministic values in [-0.5, 0.5). */
function values(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    a[i] = s / 2147483648 - 0.5;
  }
  return a;
}

const cases = LAYERS.filter((c) => c.label.includes(only)).map((c) => {
  const st = c.stride ?? 1;
  const oh = Math.ceil(c.hw / st);
  const width = c.scatter ? c.width! : c.co;
  const pt = Math.floor(Math.max((oh - 1) * st + 3 - c.hw, 0) / 2); // 'same'
  const x = values(batch * c.hw * c.hw * c.ci, 1);
  const w = values(9 * c.ci * c.co, 2);
  const y = new Float32Array(batch * oh * oh * width);
  const bias = values(width, 3);
  const map = c.map ? values(oh * oh * c.co, 5) : null;
  const residual = c.residual ? values(batch * oh * oh * width, 4) : null;
  const scatter = c.scatter ? Int32Array.from({ length: c.co }, (_, j) => Math.floor((j * width) / c.co)) : null;
  // map and residual may be null: conv2dEx takes each epilogue part only where given.
  const run = (): void => addon.conv2dEx(x, 0, w, 0, y, 0, batch, c.hw, c.hw, c.ci, 3, 3, c.co, oh, oh, st, st, pt, pt, 1, bias, 0, map, 0, residual, 0, scatter, width, inference);
  return { c, run };
});

const arms: string[][] = [[], ...toggles.map((t) => [t])];
const times = cases.map(() => arms.map(() => [] as number[]));
for (let r = -2; r < rounds; r++)
  cases.forEach((k, i) => {
    for (let a0 = 0; a0 < arms.length; a0++) {
      const a = (a0 + r + 2 + i) % arms.length;
      for (const t of arms[a]!) process.env[t] = '0';
      const start = process.cpuUsage();
      for (let q = 0; q < reps; q++) k.run();
      const used = process.cpuUsage(start);
      for (const t of arms[a]!) delete process.env[t];
      if (r >= 0) times[i]![a]!.push((used.user + used.system) / 1000 / reps);
    }
  });
console.log(`Machine: ${os.cpus()[0]?.model ?? 'CPU'} x${os.availableParallelism()}; addon ISA ${addon.info().isa}, 1 thread, ${inference ? 'inference' : 'training'} call; batch ${batch}, ${rounds} rounds of ${reps} calls; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${new Date().toISOString()}\n`);
console.log(`| layer (3x3, bias + ReLU) | MACs (M) | ${['all on', ...toggles.map((t) => `${t}=0`)].join(' | ')} |`);
console.log(`|---|---|${arms.map(() => '---|').join('')}`);
cases.forEach(({ c }, i) => {
  const oh = Math.ceil(c.hw / (c.stride ?? 1));
  const macs = (batch * oh * oh * 9 * c.ci * c.co) / 1e6;
  console.log(`| ${c.label} | ${macs.toFixed(1)} | ${times[i]!.map((t) => `${median(t).toFixed(3)} ms`).join(' | ')} |`);
});
