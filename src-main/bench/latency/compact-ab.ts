/**
 * Where a compact (hard-pruned) model's TF.js inference time goes, as same-process A/B by CPU time:
 *
 *   npm run bench:latency-ab -- [--models resnet20] [--batch 32] [--runs 41] [--threads 1] [--part models,layers] [--variants compact,stem,...]
 *                               [--toggle WORKBENCH_NATIVE_DIRECT_FUSED,...]
 *
 * models: the unpruned parent (SFP 30% masked), the compact model and exact rewrites of it (the
 * export's width rewrites, `models/export/onnx/`, applied to the TF.js model): each variant's
 * logits are checked against the parent's before anything is timed. Reported: median CPU ms per
 * forward pass and the median over rounds of parent ms / variant ms in the same round (paired:
 * slow load drifts on a shared machine cancel).
 * layers: the conv shapes of a 30%-pruned CIFAR ResNet with and without their epilogue parts
 * (channel scatter back to the residual width, constant-input map, residual add), to see what
 * each costs on its own.
 *
 * --toggle: per-call kernel switches (read by the addon on every call); the compact model, and in
 * the layers part every case, runs once more per switch with it set to 0 (and once with all of
 * them at 0), in the same rounds: an A/B of a kernel path in one process.
 *
 * Each round runs every case once in a shuffled order, so the cache state one case leaves
 * behind falls on all of them alike. CPU time (user + system of this process): with --threads 1
 * it is the work a run took, nearly blind to other programs on a loaded machine.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../../engine/init.ts';
import { convTail } from '../../engine/ops/conv-tail.ts';
import { createModel } from '../../models/registry.ts';
import { forward, type Model } from '../../nn/forward.ts';
import { disposeModel, modelFromTensors } from '../../nn/init.ts';
import { expectedWeights, inferShapes, type GraphSpec, type NodeOf } from '../../nn/graph.ts';
import { applySfpMask } from '../../prune/sfp-mask.ts';
import { selectLayers } from '../../prune/selection.ts';
import { compactModel } from '../../prune/compact.ts';
import { countCost } from '../../prune/flops.ts';
import { readWeightValues } from '../../models/export/model-weights.ts';
import { widenScatters } from '../../models/export/onnx/widen-scatters.ts';
import { runtimeWidths } from '../../models/export/onnx/runtime-widths.ts';
import type { WeightValues } from '../../models/export/weights.ts';
import { engineLabel } from '../../models/latency/engine-label.ts';
import { argValue as arg } from '../argv.ts';
import type { LayerCase } from './layer-case.ts';

const models = arg('models', 'resnet20').split(',');
const batch = Number(arg('batch', '32'));
const runs = Number(arg('runs', '41'));
const threads = Number(arg('threads', '1'));
const parts = arg('part', 'models,layers').split(',');

/** One exact rewrite of the compact model's spec and weights. */
type Rewrite = (spec: GraphSpec, weights: WeightValues) => { spec: GraphSpec; weights: WeightValues };
const stage = (prefix: string) => (conv: NodeOf<'conv2d'>) => conv.name.startsWith(prefix);
const VARIANTS: Record<string, { what: string; rewrite: Rewrite | null }> = {
  compact: { what: 'compact model as compaction leaves it (channel scatters back to the residual width)', rewrite: null },
  stem: { what: 'stem conv widened back to 16 filters (zero filters, no scatter)', rewrite: (s, w) => widenScatters(s, w, stage('stem')) },
  'wide-s1': { what: 'stem and stage-1 block-last convs widened (no scatter in stage 1)', rewrite: (s, w) => widenScatters(s, w, (c) => stage('stem')(c) || stage('stage1')(c)) },
  'wide-s2': { what: 'stage-2 block-last convs widened', rewrite: (s, w) => widenScatters(s, w, stage('stage2')) },
  'wide-s3': { what: 'stage-3 block-last convs widened', rewrite: (s, w) => widenScatters(s, w, stage('stage3')) },
  'wide-all': { what: 'every scatter widened (what the ONNX export does first)', rewrite: (s, w) => widenScatters(s, w) },
  ones: { what: 'constant inputs as a ones channel, no padding (no constant-input maps left)', rewrite: (s, w) => runtimeWidths(s, w, { channelMultiple: 1 }) },
  pad4: { what: 'ones channel, narrow widths padded to a multiple of 4', rewrite: (s, w) => runtimeWidths(s, w, { channelMultiple: 4 }) },
  pad8: { what: 'ones channel, narrow widths padded to a multiple of 8', rewrite: (s, w) => runtimeWidths(s, w, { channelMultiple: 8 }) },
  pad16: { what: 'ones channel, narrow widths padded to a multiple of 16', rewrite: (s, w) => runtimeWidths(s, w, { channelMultiple: 16 }) },
  export: { what: 'the default ONNX export graph (all scatters widened, ones channel, multiple of 8)', rewrite: (s, w) => { const x = widenScatters(s, w); return runtimeWidths(x.spec, x.weights, { channelMultiple: 8 }); } },
};
const toggles = arg('toggle', '').split(',').filter(Boolean);
/** Every toggle alone at 0, then all of them at 0 (when more than one). */
const toggleSets: string[][] = toggles.length > 1 ? [...toggles.map((t) => [t]), toggles] : toggles.map((t) => [t]);
const toggleLabel = (set: string[]): string => (set.length === toggles.length && set.length > 1 ? 'all switches=0' : `${set[0]}=0`);
/** Runs fn with the given switches at 0. */
function switchedOff<T>(set: string[], fn: () => T): T {
  const before = set.map((k) => process.env[k]);
  for (const k of set) process.env[k] = '0';
  try {
    return fn();
  } finally {
    set.forEach((k, i) => {
      if (before[i] === undefined) delete process.env[k];
      else process.env[k] = before[i];
    });
  }
}
const variantNames = arg('variants', Object.keys(VARIANTS).join(',')).split(',');
for (const v of variantNames) if (!VARIANTS[v]) throw new Error(`--variants: unknown "${v}" (known: ${Object.keys(VARIANTS).join(', ')}).`);

const median = (v: readonly number[]): number => {
  const s = [...v].sort((p, q) => p - q);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** CPU ms of one call (the result read back). */
function cpuMs(fn: () => tf.Tensor): number {
  const start = process.cpuUsage();
  const y = fn();
  y.dataSync();
  y.dispose();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** Rounds of every case once, shuffled per round (a fixed-seed shuffle: the same order sequence every invocation). */
function rounds(cases: (() => tf.Tensor)[], warmup = 3): number[][] {
  const times = cases.map(() => [] as number[]);
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let r = -warmup; r < runs; r++) {
    const order = cases.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const i of order) {
      const t = cpuMs(cases[i]!);
      if (r >= 0) times[i]!.push(t);
    }
  }
  return times;
}

function fromValues(spec: GraphSpec, values: WeightValues): Model {
  inferShapes(spec);
  const tensors = new Map<string, tf.Tensor>();
  for (const info of expectedWeights(spec)) tensors.set(info.name, tf.tensor(values.get(info.name)!, info.shape));
  return modelFromTensors(spec, tensors);
}

function maxRelativeDiff(a: Model, b: Model, x: tf.Tensor4D): number {
  return tf.tidy(() => {
    const ya = forward(a, x, { training: false }).logits;
    const yb = forward(b, x, { training: false }).logits;
    return tf.max(tf.abs(tf.sub(ya, yb))).dataSync()[0]! / Math.max(1e-30, tf.max(tf.abs(ya)).dataSync()[0]!);
  });
}

async function modelsPart(name: string): Promise<void> {
  const parent = createModel(name, {}, 1);
  // Trained-like BatchNorm statistics: with the initial ones (beta 0, mean 0) every removed
  // channel's constant is 0 and the logits check below could not see a wrong constant-input path.
  for (const n of parent.spec.nodes) {
    if (n.op !== 'batchNorm') continue;
    const set = (leaf: string, lo: number, hi: number, seed: number): void =>
      (parent.weights.get(`${n.name}/${leaf}`) as tf.Variable).assign(tf.randomUniform([n.channels], lo, hi, 'float32', seed));
    set('gamma', 0.5, 1.5, 1);
    set('beta', -0.5, 0.5, 2);
    set('movingMean', -0.3, 0.3, 3);
    set('movingVariance', 0.5, 1.5, 4);
  }
  applySfpMask(parent, selectLayers(parent.spec, 0.3));
  const compact = compactModel(parent).model;
  const values = await readWeightValues(compact);
  const variants = variantNames.map((v) => {
    const r = VARIANTS[v]!.rewrite?.(compact.spec, values);
    return { name: v, model: r ? fromValues(r.spec, r.weights) : compact };
  });
  const all: { name: string; model: Model; off?: string[] }[] = [{ name: 'parent (unpruned, SFP-masked)', model: parent }, ...variants];
  for (const set of toggleSets) all.push({ name: `compact, ${toggleLabel(set)}`, model: compact, off: set });
  const x = tf.randomUniform([batch, parent.spec.input.height, parent.spec.input.width, parent.spec.input.channels], -2, 2, 'float32', 1) as tf.Tensor4D;
  const diffs = all.map((v) => switchedOff(v.off ?? [], () => maxRelativeDiff(parent, v.model, x)));
  diffs.forEach((d, i) => {
    if (!(d <= 1e-4)) throw new Error(`${all[i]!.name}: logits differ from the parent's by ${d.toExponential(2)} (relative): not an exact rewrite.`);
  });
  const times = rounds(all.map((v) => () => switchedOff(v.off ?? [], () => tf.tidy(() => forward(v.model, x, { training: false }).logits))));
  const base = countCost(parent.spec).macs;
  console.log(`\n${name}, batch ${batch}: ${runs} rounds, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end\n`);
  console.log('| variant | MACs/image | max rel. diff vs parent | CPU ms (median) | speed-up (paired median) |');
  console.log('|---|---|---|---|---|');
  all.forEach((v, i) => {
    const paired = median(times[i]!.map((t, r) => times[0]![r]! / t));
    console.log(`| ${v.name} | ${(countCost(v.model.spec).macs / 1e6).toFixed(1)} M (${((countCost(v.model.spec).macs / base) * 100).toFixed(0)}%) | ${diffs[i]!.toExponential(1)} | ${median(times[i]!).toFixed(2)} | ${paired.toFixed(3)}x |`);
  });
  x.dispose();
  for (const v of variants) if (v.model !== compact) disposeModel(v.model);
  disposeModel(compact);
  disposeModel(parent);
}

const LAYERS: LayerCase[] = [
  { label: 'stem, unpruned', hw: 32, ci: 3, co: 16 },
  { label: 'stem, compact (scatter 12 -> 16)', hw: 32, ci: 3, co: 12, width: 16, scatter: true },
  { label: 'stage 1 block-last, unpruned', hw: 32, ci: 16, co: 16, residual: true },
  { label: 'stage 1 block-last, compact', hw: 32, ci: 12, co: 12, width: 16, scatter: true, residual: true, map: true },
  { label: 'stage 1 block-last, compact without the scatter', hw: 32, ci: 12, co: 12, residual: true, map: true },
  { label: 'stage 1 block-last, compact without scatter and map', hw: 32, ci: 12, co: 12, residual: true },
  { label: 'stage 1 block-last, widened (12 -> 16 zero filters)', hw: 32, ci: 12, co: 16, residual: true },
  { label: 'stage 1 conv1, unpruned', hw: 32, ci: 16, co: 16 },
  { label: 'stage 1 conv1, compact', hw: 32, ci: 16, co: 12 },
  { label: 'stage 2 downsampling conv1, unpruned', hw: 32, ci: 16, co: 32, stride: 2 },
  { label: 'stage 2 downsampling conv1, compact', hw: 32, ci: 16, co: 23, stride: 2 },
  { label: 'stage 2 downsampling conv1, padded to 24', hw: 32, ci: 16, co: 24, stride: 2 },
  { label: 'stage 2 block-last, unpruned', hw: 16, ci: 32, co: 32, residual: true },
  { label: 'stage 2 block-last, compact', hw: 16, ci: 23, co: 23, width: 32, scatter: true, residual: true, map: true },
  { label: 'stage 2 block-last, compact without the scatter', hw: 16, ci: 23, co: 23, residual: true, map: true },
  { label: 'stage 2 block-last, widened (23 -> 32)', hw: 16, ci: 23, co: 32, residual: true },
  { label: 'stage 2 conv1, unpruned', hw: 16, ci: 32, co: 32 },
  { label: 'stage 2 conv1, compact', hw: 16, ci: 32, co: 23 },
  { label: 'stage 3 block-last, unpruned', hw: 8, ci: 64, co: 64, residual: true },
  { label: 'stage 3 block-last, compact', hw: 8, ci: 45, co: 45, width: 64, scatter: true, residual: true, map: true },
  { label: 'stage 3 block-last, compact without the scatter', hw: 8, ci: 45, co: 45, residual: true, map: true },
  { label: 'stage 3 block-last, widened (45 -> 64)', hw: 8, ci: 45, co: 64, residual: true },
  { label: 'stage 3 conv1, unpruned', hw: 8, ci: 64, co: 64 },
  { label: 'stage 3 conv1, compact', hw: 8, ci: 64, co: 45 },
];

function layersPart(): void {
  const made = LAYERS.map((c) => {
    const stride = c.stride ?? 1;
    const oh = Math.ceil(c.hw / stride);
    const width = c.scatter ? c.width! : c.co;
    const t = {
      x: tf.randomNormal([batch, c.hw, c.hw, c.ci], 0, 1, 'float32', 1) as tf.Tensor4D,
      filter: tf.randomNormal([3, 3, c.ci, c.co], 0, 0.1, 'float32', 2) as tf.Tensor4D,
      bias: tf.randomNormal([width], 0, 1, 'float32', 3) as tf.Tensor1D,
      residual: c.residual ? (tf.randomNormal([batch, oh, oh, width], 0, 1, 'float32', 4) as tf.Tensor4D) : undefined,
      addMap: c.map ? (tf.randomNormal([1, oh, oh, c.co], 0, 1, 'float32', 5) as tf.Tensor4D) : undefined,
    };
    // The kept channels spread over the residual width, as pruning leaves them.
    const scatter = c.scatter ? { indices: Array.from({ length: c.co }, (_, j) => Math.floor((j * width) / c.co)), channels: width } : undefined;
    return { c, t, label: c.label, run: () => convTail({ ...t, strides: stride, pad: 'same', scatter, relu: true }) };
  });
  // Each layer followed by its runs with switches off.
  const cases = made.flatMap((m) => [m, ...toggleSets.map((set) => ({ ...m, label: `${m.c.label}, ${toggleLabel(set)}`, run: () => switchedOff(set, m.run) }))]);
  const times = rounds(cases.map((m) => m.run));
  console.log(`\nConv layers (3x3, fused epilogue with bias and ReLU), batch ${batch}: ${runs} rounds, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end\n`);
  console.log('| layer | input | filters -> output width | epilogue | MACs (M) | CPU ms (median) | GMAC/s |');
  console.log('|---|---|---|---|---|---|---|');
  cases.forEach(({ c, label }, i) => {
    const oh = Math.ceil(c.hw / (c.stride ?? 1));
    const macs = batch * oh * oh * 9 * c.ci * c.co;
    const ms = median(times[i]!);
    const epilogue = [c.scatter ? 'scatter' : '', c.map ? 'map' : '', c.residual ? 'residual' : ''].filter(Boolean).join(' + ') || '-';
    console.log(`| ${label} | ${c.hw}x${c.hw}x${c.ci}${c.stride ? ` /${c.stride}` : ''} | ${c.co} -> ${c.scatter ? c.width : c.co} | ${epilogue} | ${(macs / 1e6).toFixed(1)} | ${ms.toFixed(3)} | ${(macs / ms / 1e6).toFixed(1)} |`);
  });
  for (const m of made) tf.dispose([m.t.x, m.t.filter, m.t.bias, ...(m.t.residual ? [m.t.residual] : []), ...(m.t.addMap ? [m.t.addMap] : [])]);
}

const engine = await initEngine({ backend: 'wasm', threads });
console.log(`Machine: ${os.cpus()[0]?.model ?? 'CPU'} x${os.availableParallelism()}, Node ${process.versions.node}; TF.js engine: ${engineLabel(engine)}; ${new Date().toISOString()}`);
if (parts.includes('models')) for (const name of models) await modelsPart(name);
if (parts.includes('layers')) layersPart();
