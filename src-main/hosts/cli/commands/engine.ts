import type { Command } from 'commander';
import type { RegisterCommands } from '../cli-types.ts';
import { ON_HELP } from '../job-options.ts';
import { backendRequests, engineBenchModels, engineBenchParamsSchema } from '../../../common/contract/engine.ts';
import type { BackendRequestName, EngineBenchResult, EngineInfo } from '../../../common/contract/engine.ts';
import { formatBenchTable } from '../../../common/engine-bench-table.ts';

function parseBackend(value: string | undefined): BackendRequestName | undefined {
  if (value == null) return undefined;
  if (!(backendRequests as readonly string[]).includes(value)) {
    throw new Error(`--backend must be one of ${backendRequests.join(', ')}, not "${value}".`);
  }
  return value as BackendRequestName;
}

function infoText(info: EngineInfo): string {
  const lines = [
    `backend   ${info.backend}`,
    `device    ${info.device}${info.gpu ? ' (GPU)' : ''}`,
    `threads   ${info.threads}`,
    `SIMD      ${info.simd ? 'yes' : 'no'}`,
    `versions  ${Object.entries(info.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
  for (const line of info.fallbacks) lines.push(`note      ${line}`);
  return lines.join('\n');
}

function findOrAdd(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

/** `workbench engine info` and `workbench bench engine`. */
export const registerEngineCommands: RegisterCommands = (program, runtime) => {
  const engine = findOrAdd(program, 'engine', 'The compute engine (TF.js backend) jobs run on.');
  engine
    .command('info')
    .description('Backend, device, threads, SIMD and versions of the engine (probed in a child process).')
    .option('--backend <name>', `probe this backend instead of the setting (${backendRequests.join(', ')})`)
    .option('--refresh', 'probe again instead of using the cached answer')
    .action(async (opts: { backend?: string; refresh?: boolean }) => {
      const rt = await runtime();
      const backend = parseBackend(opts.backend);
      const info = await rt.call('engine.info', { ...(backend ? { backend } : {}), ...(opts.refresh ? { refresh: true } : {}) });
      rt.output(info, () => infoText(info));
    });

  const bench = findOrAdd(program, 'bench', 'Benchmarks.');
  bench
    .command('engine')
    .description('Train and infer the benchmark models on the engine, interleaved with PyTorch CPU where installed; medians of the repeats and their ratios.')
    .option('--models <list>', `comma-separated (${engineBenchModels.join(', ')})`, engineBenchModels.join(','))
    .option('--batch <n>', 'batch size', '128')
    .option('--steps <n>', 'timed training and inference steps per model and repeat', '5')
    .option('--repeats <n>', 'repeats per side, interleaved', '3')
    .option('--no-batch-one', 'skip inference at batch 1')
    .option('--no-pytorch', 'skip the PyTorch baseline')
    .option('--backend <name>', `run on this backend (${backendRequests.join(', ')})`)
    .option('--on <where>', ON_HELP)
    .action(async (opts: { models: string; batch: string; steps: string; repeats: string; batchOne: boolean; pytorch: boolean; backend?: string; on?: string }) => {
      const parsed = engineBenchParamsSchema.safeParse({
        models: opts.models.split(',').map((s) => s.trim()),
        batchSize: Number(opts.batch),
        trainSteps: Number(opts.steps),
        inferSteps: Number(opts.steps),
        repeats: Number(opts.repeats),
        batchOne: opts.batchOne,
        pytorch: opts.pytorch,
      });
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new Error(`bench engine: ${issue.path.join('.') || 'options'}: ${issue.message}`);
      }
      const rt = await runtime();
      const backend = parseBackend(opts.backend);
      const job = await rt.runJob('engine.bench', parsed.data, { backend, on: opts.on });
      const result = job.result as EngineBenchResult;
      rt.output(result, () => formatBenchTable(result));
    });
};
