/**
 * `npm run bench:engine`: the engine benchmark without a workspace.
 *   npm run bench:engine -- [--models resnet20,resnet56,ide-resnet50] [--backend wasm] [--steps 5] [--repeats 3] [--no-batch-one] [--json] [--out FILE] [--hide-avx512]
 * Prints the side-by-side table (or JSON with --json) and writes the JSON
 * result to --out (default out/bench/engine-bench.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { engineBenchParamsSchema } from '../../common/contract/engine.ts';
import { parseBackendRequest } from '../../engine/init.ts';
import { benchModelByModel } from './model-by-model.ts';
import { formatBenchTable } from '../../common/engine-bench-table.ts';
import { rerunWithoutAvx512IfAsked } from '../isa-mask/hide-avx512.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const usage = `npm run bench:engine -- [--models resnet20,resnet56,ide-resnet50,spgan-step] [--backend wasm] [--steps N] [--batch N] [--repeats N] [--no-batch-one] [--no-pytorch] [--json] [--out FILE] [--hide-avx512]
Trains and runs inference on the engine and, interleaved in the same run, on PyTorch CPU with the same thread count; prints medians with their spread and the ratios.
--hide-avx512: on an AVX-512 machine, both sides as on an AVX2-only one (AVX-512 hidden from CPUID; src-main/bench/isa-mask).`;

async function main(): Promise<void> {
  // A benchmark takes minutes: --help must answer instead of starting one.
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  rerunWithoutAvx512IfAsked();
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
  const result = await benchModelByModel(params, { log }, backend);
  const out = path.resolve(arg('out') ?? path.join('out', 'bench', 'engine-bench.json'));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(json ? JSON.stringify(result, null, 2) + '\n' : `${formatBenchTable(result)}\nJSON written to ${out}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:engine: ${(error as Error).message}\n`);
  process.exit(1);
});
