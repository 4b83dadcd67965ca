/**
 * The child process of `benchModelByModel` (bench/engine/model-by-model.ts): benchmarks one model
 * in a fresh process, so its peak memory is its own (the wasm heap never shrinks). Receives
 * { params, backend? } over IPC, answers log/progress/metric lines and then its result or error.
 */
import { initEngine } from '../../engine/init.ts';
import { runEngineBench } from './engine-bench.ts';
import type { ModelProcessMessage, ModelProcessRequest } from './model-by-model.ts';

function send(message: ModelProcessMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

process.once('message', (request: ModelProcessRequest) => {
  void (async () => {
    try {
      const model = request.params.models[0]!;
      // A test hook: makes this model's process fail the way a crashed benchmark does.
      if (process.env.WORKBENCH_BENCH_FAIL_MODEL === model) throw new Error(`failed on purpose (WORKBENCH_BENCH_FAIL_MODEL=${model})`);
      const engine = await initEngine(request.backend ? { backend: request.backend } : {});
      const result = await runEngineBench(request.params, engine, {
        log: (line) => void send({ type: 'log', line }),
        progress: (fraction, step) => void send({ type: 'progress', fraction, step }),
        metric: (name, value) => void send({ type: 'metric', name, value }),
      });
      // Each row says which process measured it (the benchmark's check that no model shares one).
      for (const row of result.rows) row.workbench.processId = process.pid;
      await send({ type: 'result', result });
      process.exit(0);
    } catch (error) {
      await send({ type: 'error', message: (error as Error).message });
      process.exit(1);
    }
  })();
});
