/**
 * The native conv kernels alone, at the shapes of a ResNet-20/56 training step (batch 128) and of
 * the SPGAN step (and two IDE ResNet-50 shapes at batch 32): GFLOP/s per kernel and shape, medians over interleaved rounds. With two addon
 * files (`--addons a.node,b.node`) the rounds alternate between them in one process: an A/B
 * comparison on a shared machine, where separate runs differ by more than most changes do.
 *   npx tsx src-main/bench/engine/kernel-bench.ts [--addons A.node[,B.node]] [--rounds 7] [--threads 2] [--only fwd|filter|input] [--case stage1] [--cpu]
 * --cpu measures the process's CPU time (user + system) per call instead of wall time: on a
 * machine with more runnable threads than cores, wall time mostly measures the scheduler, CPU
 * time still the work (GFLOP per CPU-second; with 2 threads it sums both).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ConvShapeArgs, NativeAddon } from '../../engine/native/addon.ts';
import { loadNativeAddon } from '../../engine/native/addon.ts';
import { median } from './engine-bench.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

/** x [n,h,w,ci] * filter [k,k,ci,co], stride s, 'same' padding (TF's: the extra pixel after). */
interface Case {
  label: string;
  n: number;
  h: number;
  w: number;
  ci: number;
  k: number;
  co: number;
  s: number;
}
const cases: Case[] = [
  { label: 'stage1 3x3 16->16', n: 128, h: 32, w: 32, ci: 16, k: 3, co: 16, s: 1 },
  { label: 'stage2 3x3 32->32', n: 128, h: 16, w: 16, ci: 32, k: 3, co: 32, s: 1 },
  { label: 'stage3 3x3 64->64', n: 128, h: 8, w: 8, ci: 64, k: 3, co: 64, s: 1 },
  { label: 'down 3x3 s2 16->32', n: 128, h: 32, w: 32, ci: 16, k: 3, co: 32, s: 2 },
  { label: 'stem 3x3 3->16', n: 128, h: 32, w: 32, ci: 3, k: 3, co: 16, s: 1 },
  { label: 'spgan 7x7 3->16', n: 4, h: 128, w: 64, ci: 3, k: 7, co: 16, s: 1 },
  { label: 'spgan 3x3 s2 32->64', n: 4, h: 64, w: 32, ci: 32, k: 3, co: 64, s: 2 },
  { label: 'spgan 3x3 64->64', n: 4, h: 32, w: 16, ci: 64, k: 3, co: 64, s: 1 },
  { label: 'spgan 4x4 s2 16->32', n: 4, h: 128, w: 64, ci: 16, k: 4, co: 32, s: 2 },
  { label: 'r50 layer4 3x3 512', n: 32, h: 4, w: 2, ci: 512, k: 3, co: 512, s: 1 },
  { label: 'r50 layer1 1x1 256->64', n: 32, h: 32, w: 16, ci: 256, k: 1, co: 64, s: 1 },
];

function shapeArgs(c: Case): ConvShapeArgs {
  const oh = Math.ceil(c.h / c.s);
  const ow = Math.ceil(c.w / c.s);
  const padH = Math.max(0, (oh - 1) * c.s + c.k - c.h);
  const padW = Math.max(0, (ow - 1) * c.s + c.k - c.w);
  return [c.n, c.h, c.w, c.ci, c.k, c.k, c.co, oh, ow, c.s, c.s, padH >> 1, padW >> 1];
}

const kinds = ['fwd', 'filter', 'input'] as const;
type Kind = (typeof kinds)[number];

function runner(addon: NativeAddon, c: Case, kind: Kind): () => void {
  const a = shapeArgs(c);
  const [n, h, w, ci, kh, kw, co, oh, ow] = a;
  let seed = 1;
  const fill = (len: number): Float32Array => Float32Array.from({ length: len }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
  const x = fill(n * h * w * ci);
  const f = fill(kh * kw * ci * co);
  const y = fill(n * oh * ow * co);
  if (kind === 'fwd') return () => addon.conv2dEx(x, 0, f, 0, y, 0, ...a, 0, null, 0, null, 0, null, 0, null, co);
  if (kind === 'filter') return () => addon.conv2dBackpropFilter(x, 0, y, 0, f, 0, ...a);
  return () => addon.conv2dBackpropInput(y, 0, f, 0, x, 0, ...a);
}

const files = arg('addons')?.split(',').map((p) => path.resolve(p));
const addons: { name: string; addon: NativeAddon }[] = files
  ? files.map((file) => ({ name: path.basename(path.dirname(path.dirname(file))) + '/' + path.basename(file), addon: createRequire(import.meta.url)(file) as NativeAddon }))
  : [{ name: 'addon', addon: loadNativeAddon()! }];
if (!addons[0]!.addon) throw new Error('the native addon is not built (npm run build:native)');
const threads = Number(arg('threads') ?? 2);
const rounds = Number(arg('rounds') ?? 7);
const only = arg('only') as Kind | undefined;
const cpu = process.argv.includes('--cpu');
for (const { addon } of addons) addon.setThreads(threads);
console.log(`${addons.map((a) => `${a.name} (${a.addon.info().isa})`).join(' vs ')}, ${threads} threads, median of ${rounds} interleaved rounds, GFLOP per ${cpu ? 'CPU-second (ms: CPU time per call)' : 'second'}`);
const pick = arg('case');
for (const c of cases.filter((k) => !pick || k.label.includes(pick))) {
  for (const kind of kinds.filter((k) => !only || k === only)) {
    const a = shapeArgs(c);
    const flops = 2 * a[0] * a[7] * a[8] * a[4] * a[5] * a[3] * a[6];
    const runs = addons.map(({ addon }) => runner(addon, c, kind));
    // Enough calls per round for ~20 ms.
    runs.forEach((r) => r());
    const t0 = performance.now();
    runs[0]!();
    const reps = Math.max(2, Math.round(40 / Math.max(0.05, performance.now() - t0)));
    const times: number[][] = runs.map(() => []);
    const clock = (): number => {
      if (!cpu) return performance.now();
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    for (let r = 0; r < rounds; r++) {
      runs.forEach((run, i) => {
        const t = clock();
        for (let j = 0; j < reps; j++) run();
        times[i]!.push((clock() - t) / reps);
      });
    }
    const cols = times.map((ts) => `${(flops / median(ts) / 1e6).toFixed(1).padStart(6)} (${median(ts).toFixed(2)} ms)`);
    const speedup = times.length === 2 ? `  x${(median(times[0]!) / median(times[1]!)).toFixed(2)}` : '';
    console.log(`${c.label.padEnd(22)} ${kind.padEnd(6)} ${cols.join('  ')}${speedup}`);
  }
}
