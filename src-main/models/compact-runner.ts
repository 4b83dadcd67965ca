/**
 * The `model.compact` job: hard-prunes a soft-pruned workspace model, checks
 * that the compact model gives the masked model's outputs on random inputs,
 * and measures both models' inference latency on this engine.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../engine/init.ts';
import type { JobRunContext } from '../core/jobs/spec.ts';
import { forward, type Model } from '../nn/forward.ts';
import { disposeModel } from '../nn/init.ts';
import { loadModel, saveModel } from '../nn/model-file.ts';
import { compactModel } from '../prune/compact.ts';
import { countCost } from '../prune/flops.ts';
import { getModelRow } from './model-rows.ts';
import { listModels } from './specs.ts';
import { baselineSpecOf } from './cost.ts';
import type { CompactParams, CompactResult } from './jobs.ts';

/**
 * Median wall time (ms) of inference on x for two models, measured in
 * alternation (a, b, a, b, ...) after a warm-up of each, so load changes on a
 * shared machine hit both alike.
 */
export async function compareInferenceMs(a: Model, b: Model, x: tf.Tensor4D, rounds = 9): Promise<[number, number]> {
  const once = async (m: Model): Promise<number> => {
    const t0 = performance.now();
    const y = tf.tidy(() => forward(m, x, { training: false }).logits);
    await y.data();
    y.dispose();
    return performance.now() - t0;
  };
  await once(a);
  await once(b);
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    ta.push(await once(a));
    tb.push(await once(b));
  }
  const median = (v: number[]): number => v.sort((p, q) => p - q)[Math.floor(v.length / 2)]!;
  return [median(ta), median(tb)];
}

export default async function runCompact(ctx: JobRunContext<CompactParams>): Promise<CompactResult> {
  // Idempotent: the job process already chose the backend; direct callers (tests, benches) get the same set-up.
  await initEngine();
  const row = getModelRow(ctx.readDb(), ctx.params.modelId, 'modelId');
  const { model } = loadModel(path.resolve(ctx.workspaceDir, row.dir), { knownArchs: listModels().map((m) => m.name) });
  let compact: Model | null = null;
  try {
    ctx.progress({ fraction: 0.1, step: 'removing zeroed filters', throughput: null, etaSeconds: null });
    const out = compactModel(model, { scatter: ctx.params.scatter, align: ctx.params.align });
    compact = out.model;
    const { height, width, channels } = model.spec.input;
    const x = tf.randomNormal([ctx.params.benchBatch, height, width, channels], 0, 1, 'float32', 1) as tf.Tensor4D;
    const maxAbsDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(forward(model, x, { training: false }).logits, forward(compact!, x, { training: false }).logits))).dataSync()[0]!);
    ctx.log(`Compact vs masked outputs: max |difference| ${maxAbsDiff.toExponential(2)} on ${ctx.params.benchBatch} random inputs.`);
    ctx.progress({ fraction: 0.4, step: 'measuring latency', throughput: null, etaSeconds: null });
    const [maskedMs, compactMs] = await compareInferenceMs(model, compact, x);
    x.dispose();
    const dir = path.join(ctx.jobDir, 'model');
    await saveModel(compact, dir, { kind: 'compact', parentModelId: row.id });
    const cost = countCost(compact.spec);
    const base = countCost(baselineSpecOf(model.spec));
    const parentMetrics = JSON.parse(row.metrics) as Record<string, unknown>;
    const metrics: Record<string, unknown> = {
      accuracy: parentMetrics.accuracy ?? null,
      accuracyFromParent: true,
      params: cost.params,
      macs: cost.macs,
      macs3x3: cost.macs3x3,
      reduction: 1 - cost.macs / base.macs,
      reduction3x3: 1 - cost.macs3x3 / base.macs3x3,
      maxAbsDiff,
      latencyMs: compactMs,
      parentLatencyMs: maskedMs,
      speedup: maskedMs / compactMs,
      latencyBatch: ctx.params.benchBatch,
      scatter: ctx.params.scatter,
      align: ctx.params.align,
      backend: tf.getBackend(),
    };
    ctx.log(`Latency batch ${ctx.params.benchBatch}: masked ${maskedMs.toFixed(1)} ms, compact ${compactMs.toFixed(1)} ms (x${(maskedMs / compactMs).toFixed(2)}).`);
    return {
      model: { dir: path.relative(ctx.workspaceDir, dir), name: ctx.params.name ?? `${row.name} (compact)`, arch: row.arch, rate: row.rate, parentModelId: row.id, datasetId: row.dataset_id },
      metrics,
      layers: out.report.layers,
    };
  } finally {
    disposeModel(model);
    if (compact) disposeModel(compact);
  }
}
