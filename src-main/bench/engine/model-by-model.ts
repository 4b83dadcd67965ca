/**
 * The engine benchmark with one process per model, the models in turn (the order the in-process
 * loop takes). The wasm heap never shrinks, so a model benched after a larger one in the same
 * process read the larger one's resident memory as its own peak (the SPGAN step after ResNet-56:
 * 838 MiB, alone 437). Used by the engine.bench job and by `npm run bench:engine`.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineBenchModel, EngineBenchParams, EngineBenchResult } from '../../common/contract/engine.ts';
import type { BackendRequest } from '../../engine/init.ts';
import { typeScriptLoaderArgv } from '../../core/ts-loader.ts';
import type { BenchHooks } from './engine-bench.ts';

export interface ModelProcessRequest {
  params: EngineBenchParams;
  backend?: BackendRequest;
}

export type ModelProcessMessage =
  | { type: 'log'; line: string }
  | { type: 'progress'; fraction: number; step: string }
  | { type: 'metric'; name: string; value: number }
  | { type: 'result'; result: EngineBenchResult }
  | { type: 'error'; message: string };

/** The child's entry: built next to the bundle, or the TypeScript source run through tsx. */
function childEntry(): { file: string; execArgv: string[] } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const built = path.join(here, 'bench-model-process.js');
  if (existsSync(built)) return { file: built, execArgv: [] };
  return { file: path.join(here, 'bench-model-process.ts'), execArgv: typeScriptLoaderArgv() };
}

/** Benchmarks one model in its own process; rejects with the child's message or how it exited. */
function benchOneModel(model: EngineBenchModel, request: ModelProcessRequest, hooks: BenchHooks, span: [number, number]): Promise<EngineBenchResult> {
  const entry = childEntry();
  return new Promise((resolve, reject) => {
    const child = fork(entry.file, [], { execArgv: entry.execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    let result: EngineBenchResult | null = null;
    let failure: string | null = null;
    const onAbort = (): void => void child.kill('SIGKILL');
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    hooks.log?.(`${model}: benchmarking in process ${child.pid ?? '?'}`);
    child.on('message', (m: ModelProcessMessage) => {
      if (m.type === 'log') hooks.log?.(m.line);
      else if (m.type === 'progress') hooks.progress?.(span[0] + m.fraction * (span[1] - span[0]), m.step);
      else if (m.type === 'metric') hooks.metric?.(m.name, m.value);
      else if (m.type === 'result') result = m.result;
      else failure = m.message;
    });
    child.on('error', (error) => reject(error));
    child.on('exit', (code, signal) => {
      hooks.signal?.removeEventListener('abort', onAbort);
      if (hooks.signal?.aborted) return reject(new Error('cancelled'));
      if (result && code === 0) return resolve(result);
      const last = stderr.trim().split('\n').at(-1);
      reject(new Error(failure ?? `its benchmark process exited with ${code ?? signal}${last ? `: ${last}` : ''}`));
    });
    child.send({ ...request, params: { ...request.params, models: [model] } } satisfies ModelProcessRequest);
  });
}

/**
 * Runs each model of `params` in its own process and merges the rows. A model whose process fails
 * is listed in `failures` (naming it) and the others still come back; rejects only when every
 * model failed.
 */
export async function benchModelByModel(params: EngineBenchParams, hooks: BenchHooks = {}, backend?: BackendRequest): Promise<EngineBenchResult> {
  const results: EngineBenchResult[] = [];
  const failures: { model: EngineBenchModel; message: string }[] = [];
  const n = params.models.length;
  for (const [i, model] of params.models.entries()) {
    // A cancel between two models must not start the next one's process.
    if (hooks.signal?.aborted) throw new Error('cancelled');
    try {
      results.push(await benchOneModel(model, { params, ...(backend ? { backend } : {}) }, hooks, [i / n, (i + 1) / n]));
    } catch (error) {
      if (hooks.signal?.aborted) throw new Error('cancelled');
      const message = `${model}: ${(error as Error).message}`;
      hooks.log?.(`benchmark failed: ${message}`);
      failures.push({ model, message });
    }
  }
  const first = results[0];
  if (!first) throw new Error(`engine benchmark: every model failed: ${failures.map((f) => f.message).join('; ')}`);
  return {
    ...first,
    date: results.at(-1)!.date,
    rows: results.flatMap((r) => r.rows),
    pytorchNote: results.find((r) => r.pytorchNote)?.pytorchNote ?? null,
    memoryNote: `${first.memoryNote}; workbench: one process per model`,
    failures,
  };
}
