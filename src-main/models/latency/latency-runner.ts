import * as tf from '@tensorflow/tfjs-core';
import type { JobRunner } from '../../core/jobs/spec.ts';
import type { LatencyParams, LatencyRecord, LatencyStatsDto } from '../../common/contract/models.ts';
import { initEngine } from '../../engine/init.ts';
import { forward } from '../../nn/forward.ts';
import { disposeModel } from '../../nn/init.ts';
import { benchmark, type LatencyStats } from './benchmark.ts';
import { graphToOnnx } from '../export/onnx/graph-to-onnx.ts';
import { openOnnxSession, runOnnx } from '../export/onnx/onnx-session.ts';
import { readWeightValues } from '../export/model-weights.ts';
import { loadWorkspaceModel } from '../workspace-model.ts';
import { engineLabel } from './engine-label.ts';

function withThroughput(s: LatencyStats, batch: number): LatencyStatsDto {
  return { ...s, imagesPerSecond: batch / (s.meanMs / 1000) };
}

const run: JobRunner<LatencyParams, LatencyRecord & { modelId: number }> = async (ctx) => {
  const p = ctx.params;
  const engine = await initEngine();
  const { row, model } = loadWorkspaceModel(ctx.readDb(), ctx.workspaceDir, p.modelId);
  const { height, width, channels } = model.spec.input;
  const batches = [...new Set([1, p.batchSize])];
  const phases = batches.length * (p.onnxRuntime ? 2 : 1);
  let phase = 0;
  const tfjs: Record<string, LatencyStatsDto> = {};
  const ort: Record<string, LatencyStatsDto> = {};
  try {
    for (const batch of batches) {
      ctx.progress({ fraction: phase++ / phases, step: `TF.js (${engine.backend}), batch ${batch}` });
      const x = tf.randomUniform([batch, height, width, channels], -2, 2, 'float32', 7) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const stats = await benchmark(
        async () => {
          const y = tf.tidy(() => forward(model, x, { training: false }).logits);
          // data() waits for the backend to finish: the time covers the whole forward pass.
          await y.data();
          y.dispose();
        },
        { warmup: p.warmup, runs: p.runs, signal: ctx.signal },
      );
      x.dispose();
      if (tf.memory().numTensors > before) ctx.log(`Tensor count grew by ${tf.memory().numTensors - before} while timing batch ${batch}.`, 'warn');
      tfjs[String(batch)] = withThroughput(stats, batch);
      ctx.log(`TF.js ${engine.backend} batch ${batch}: ${stats.meanMs.toFixed(2)} ± ${stats.stdMs.toFixed(2)} ms (${stats.runs} runs after ${stats.warmup} warm-up)`);
    }
    if (p.onnxRuntime) {
      const session = await openOnnxSession(graphToOnnx(model.spec, await readWeightValues(model)));
      try {
        for (const batch of batches) {
          ctx.progress({ fraction: phase++ / phases, step: `ONNX Runtime (CPU), batch ${batch}` });
          const data = new Float32Array(batch * height * width * channels).map((_, i) => ((i * 7919) % 1000) / 250 - 2);
          const stats = await benchmark(() => runOnnx(session, { data, dims: [batch, height, width, channels] }), {
            warmup: p.warmup,
            runs: p.runs,
            signal: ctx.signal,
          });
          ort[String(batch)] = withThroughput(stats, batch);
          ctx.log(`ONNX Runtime batch ${batch}: ${stats.meanMs.toFixed(2)} ± ${stats.stdMs.toFixed(2)} ms`);
        }
      } finally {
        await session.release();
      }
    }
  } finally {
    disposeModel(model);
  }
  ctx.progress({ fraction: 1, step: 'Done' });
  const record: LatencyRecord & { modelId: number } = {
    modelId: row.id,
    measuredAt: new Date().toISOString(),
    jobId: ctx.jobId,
    engine: engineLabel(engine),
    inputSize: [height, width, channels],
    tfjs,
  };
  if (p.onnxRuntime) record.onnxRuntime = ort;
  return record;
};

export default run;
