/**
 * Where ONNX Runtime spends the time of an unpruned ResNet's export and of its SFP-30% compact
 * model's, per stage, and what its optimizer made of each export variant.
 *
 *   node --import tsx src-main/bench/latency/ort-stage-profile.ts --models resnet20,resnet56 \
 *     --batch 32 --runs 40 --variants "default;multiple=1;stage1/=1;stage2/=25" [--hide-avx512]
 *
 * Each variant exports the compact model differently (the parent always with the default):
 *   default         graphToOnnx's default (channelMultiple 8)
 *   multiple=N      channelMultiple N for every narrowed conv
 *   PREFIX=N[,...]  channelMultiple N for the convs whose name starts with PREFIX, 8 for the rest
 *                   (a width that is no multiple of 8, e.g. 25, keeps ORT off its NCHWc path there)
 * One thread, ORT's own profiler: the median over `runs` runs of each node's kernel time, summed
 * per stage (node names carry the stage). Profiler timings, not a latency benchmark: the
 * latency numbers come from latency-bench.ts. Every variant's logits are checked against the
 * parent's export (the masked parent and its compact model compute the same function).
 * --hide-avx512: ONNX Runtime as on an AVX2-only machine (8-channel NCHWc blocks; `../isa-mask/`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { initEngine } from '../../engine/init.ts';
import { createModel } from '../../models/registry.ts';
import { disposeModel } from '../../nn/init.ts';
import type { GraphSpec } from '../../nn/graph.ts';
import { applySfpMask } from '../../prune/sfp-mask.ts';
import { selectLayers } from '../../prune/selection.ts';
import { compactModel } from '../../prune/compact.ts';
import { graphToOnnx } from '../../models/export/onnx/graph-to-onnx.ts';
import { widenScatters } from '../../models/export/onnx/widen-scatters.ts';
import { runtimeWidths } from '../../models/export/onnx/runtime-widths.ts';
import { ModelProto } from '../../models/export/onnx/onnx-schema.ts';
import { readWeightValues } from '../../models/export/model-weights.ts';
import type { WeightValues } from '../../models/export/weights.ts';
import { argValue as arg } from '../argv.ts';
import { isaNote, rerunWithoutAvx512IfAsked } from '../isa-mask/hide-avx512.ts';

rerunWithoutAvx512IfAsked();

const models = arg('models', 'resnet20').split(',');
const batch = Number(arg('batch', '32'));
const runs = Number(arg('runs', '40'));
const variants = arg('variants', 'default').split(';').filter(Boolean);

/** A variant name -> the compact model's ONNX bytes. */
function exportVariant(variant: string, spec: GraphSpec, weights: WeightValues): Uint8Array {
  if (variant === 'default') return graphToOnnx(spec, weights);
  const whole = /^multiple=(\d+)$/.exec(variant);
  if (whole) return graphToOnnx(spec, weights, { channelMultiple: Number(whole[1]) });
  const perPrefix = variant.split(',').map((part) => {
    const m = /^([^=]+)=(\d+)$/.exec(part);
    if (!m) throw new Error(`--variants: "${variant}" is neither default, multiple=N nor PREFIX=N[,PREFIX=N]`);
    return { prefix: m[1]!, multiple: Number(m[2]) };
  });
  const multipleOf = (name: string): number => perPrefix.find((p) => name.startsWith(p.prefix))?.multiple ?? 8;
  let g = widenScatters(spec, weights);
  for (const multiple of new Set([8, ...perPrefix.map((p) => p.multiple)])) {
    g = runtimeWidths(g.spec, g.weights, { channelMultiple: multiple, only: (conv) => multipleOf(conv.name) === multiple });
  }
  // Every narrowed conv is rewritten above; multiple 1 adds nothing more.
  return graphToOnnx(g.spec, g.weights, { channelMultiple: 1 });
}

interface Profile {
  perStage: Map<string, number>;
  totalUs: number;
  ops: Map<string, number>;
  logits: Float32Array;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-stage-profile-'));
const data = new Float32Array(batch * 32 * 32 * 3).map((_, i) => ((i * 7919) % 1000) / 250 - 2);

async function profile(bytes: Uint8Array, label: string): Promise<Profile> {
  const prefix = path.join(dir, label);
  const optimizedModelFilePath = `${prefix}.optimized.onnx`;
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    optimizedModelFilePath,
    enableProfiling: true,
    profileFilePrefix: prefix,
  });
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', data, [batch, 32, 32, 3]) };
  let logits: Float32Array = new Float32Array();
  for (let i = 0; i < runs + 3; i++) logits = (await session.run(feeds))[session.outputNames[0]!]!.data as Float32Array;
  session.endProfiling();
  await session.release();
  const file = fs.readdirSync(dir).find((f) => f.startsWith(`${label}_`) && f.endsWith('.json'));
  if (!file) throw new Error(`ONNX Runtime wrote no profile for ${label} in ${dir}`);
  const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { cat: string; name: string; dur: number }[];
  const perNode = new Map<string, number[]>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const node = e.name.slice(0, -'_kernel_time'.length);
    perNode.set(node, [...(perNode.get(node) ?? []), e.dur]);
  }
  const median = (t: number[]): number => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
  const perStage = new Map<string, number>();
  let last = 'rest';
  for (const [node, t] of perNode) {
    // ORT names the fused NCHWc nodes after the graph's nodes (stage2/block1/relu1_nchwc ...); the
    // convs and reorders it creates itself (Conv_50, ReorderOutput_token_3) belong to the stage
    // of the named node run before them (the map keeps the profile's execution order).
    const named = /^(stem|stage\d+)\//.exec(node)?.[1];
    const stage = named ?? (/^(Conv|FusedConv|Reorder)/.test(node) ? last : 'rest');
    last = stage;
    perStage.set(stage, (perStage.get(stage) ?? 0) + median(t.slice(3)));
  }
  const decoded = ModelProto.decode(fs.readFileSync(optimizedModelFilePath)) as unknown as { graph: { node: { opType: string; domain?: string }[] } };
  const ops = new Map<string, number>();
  for (const n of decoded.graph.node) {
    const key = n.domain === 'com.microsoft.nchwc' ? `nchwc ${n.opType}` : n.opType;
    ops.set(key, (ops.get(key) ?? 0) + 1);
  }
  return { perStage, totalUs: [...perStage.values()].reduce((a, b) => a + b, 0), ops, logits };
}

const stages = ['stem', 'stage1', 'stage2', 'stage3', 'rest'];
const fmtOps = (ops: Map<string, number>): string =>
  ['nchwc Conv', 'Conv', 'FusedConv', 'nchwc ReorderInput', 'nchwc ReorderOutput'].map((k) => `${ops.get(k) ?? 0}`).join(' / ');
const rows: string[] = [];
await initEngine({ backend: 'wasm', threads: 1 });
try {
  for (const name of models) {
    const parent = createModel(name, {}, 1);
    applySfpMask(parent, selectLayers(parent.spec, 0.3));
    const compact = compactModel(parent).model;
    const base = await profile(graphToOnnx(parent.spec, await readWeightValues(parent)), `${name}-parent`);
    const row = (label: string, p: Profile): string =>
      `| ${name} | ${batch} | ${label} | ${stages.map((s) => ((p.perStage.get(s) ?? 0) / 1000).toFixed(2)).join(' | ')} | ${(p.totalUs / 1000).toFixed(2)} | ${(base.totalUs / p.totalUs).toFixed(3)}x | ${fmtOps(p.ops)} |`;
    rows.push(row('parent (1.00x)', base));
    process.stderr.write(`${rows.at(-1)}\n`);
    const compactWeights = await readWeightValues(compact);
    for (const [i, variant] of variants.entries()) {
      const p = await profile(exportVariant(variant, compact.spec, compactWeights), `${name}-v${i}`);
      let diff = 0;
      let scale = 0;
      const ref = base.logits; // the masked parent and its compact model compute the same function
      for (let k = 0; k < ref.length; k++) {
        diff = Math.max(diff, Math.abs(ref[k]! - p.logits[k]!));
        scale = Math.max(scale, Math.abs(ref[k]!));
      }
      if (diff > 1e-4 * scale) throw new Error(`${name} compact, variant ${variant}: logits differ from the parent's export by ${diff} (scale ${scale})`);
      rows.push(row(`compact, ${variant}`, p));
      process.stderr.write(`${rows.at(-1)}\n`);
    }
    disposeModel(compact);
    disposeModel(parent);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true }); // profiles and optimized graphs
}

console.log(`\nONNX Runtime ${ort.env.versions.common}, 1 thread, ${isaNote()}, batch ${batch}, median kernel time per node over ${runs} profiled runs, summed per stage (ms)\n`);
console.log('| model | batch | export | stem | stage 1 | stage 2 | stage 3 | rest | total | speed-up | NCHWc Conv / Conv / FusedConv / ReorderInput / ReorderOutput |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
