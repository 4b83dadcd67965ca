/**
 * `npm run bench:engine`: the engine benchmark without a workspace.
 *   npm run bench:engine -- [--models resnet20,resnet56,ide-resnet50] [--backend wasm] [--steps 5] [--repeats 3] [--no-batch-one] [--json] [--out FILE]
 * Prints the side-by-side table (or JSON with --json) and writes the JSON
 * result to --out (default out/bench/engine-bench.json).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineBenchResult } from '../../common/contract/engine.ts';
import { engineBenchParamsSchema } from '../../common/contract/engine.ts';
import { initEngine, parseBackendRequest } from '../../engine/init.ts';
import { runEngineBench } from './engine-bench.ts';
import { formatBenchTable } from '../../common/engine-bench-table.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const usage = `npm run bench:engine -- [--models resnet20,resnet56,ide-resnet50,spgan-step] [--backend wasm] [--steps N] [--batch N] [--repeats N] [--no-batch-one] [--no-pytorch] [--json] [--out FILE]
Trains and runs inference on the engine and, interleaved in the same run, on PyTorch CPU with the same thread count; prints medians with their spread and the ratios.`;

async function main(): Promise<void> {
  // A benchmark takes minutes: --help must answer instead of starting one.
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const json = process.argv.includes('--json');
  const steps = arg('steps');
  const params = engineBenchParamsSchema.parse({
    ...(arg('models') ? { models: arg('models')!.split(',').map((s) => s.trim()) } : {}),
    ...(steps ? { trainSteps: Number(steps), inferSteps: Number(steps) } : {}),
    ...(arg('batch') ? { batchSize: Number(arg('batch')) } : {}),
    ...(arg('repeats') ? { repeats: Number(arg('repeats')) } : {}),
    ...(process.argv.includes('--no-batch-one') ? { batchOne: false } : {}),
    ...(process.argv.includes('--no-pytorch') ? { pytorch: false } : {}),
  });
  const backend = parseBackendRequest(arg('backend'), '--backend');
  const log = (line: string): void => {
    if (!json) process.stderr.write(`  ${line}\n`);
  };
  const result = params.models.length > 1 ? modelByModel(params.models) : await runEngineBench(params, await initEngine(backend ? { backend } : {}), { log });
  const out = path.resolve(arg('out') ?? path.join('out', 'bench', 'engine-bench.json'));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(json ? JSON.stringify(result, null, 2) + '\n' : `${formatBenchTable(result)}\nJSON written to ${out}\n`);
  process.exit(0);
}

/**
 * One process per model, the models in turn (the order the in-process loop takes). The wasm heap
 * never shrinks, so a model benched after a larger one in the same process read the larger one's
 * resident memory as its own peak (the SPGAN step after ResNet-56: 838 MiB, alone 437).
 */
function modelByModel(models: string[]): EngineBenchResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-engine-'));
  try {
    const results = models.map((model, i) => {
      const out = path.join(dir, `${i}.json`);
      const rest = process.argv.slice(2).filter((a, j, all) => a !== '--out' && all[j - 1] !== '--out' && a !== '--models' && all[j - 1] !== '--models');
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...rest, '--models', model, '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
      if (child.status !== 0) throw new Error(`${model}: its benchmark process exited with ${child.status ?? child.signal}`);
      return JSON.parse(readFileSync(out, 'utf8')) as EngineBenchResult;
    });
    const first = results[0]!;
    return { ...first, date: results.at(-1)!.date, rows: results.flatMap((r) => r.rows), pytorchNote: results.find((r) => r.pytorchNote)?.pytorchNote ?? null, memoryNote: `${first.memoryNote}; workbench: one process per model` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:engine: ${(error as Error).message}\n`);
  process.exit(1);
});
