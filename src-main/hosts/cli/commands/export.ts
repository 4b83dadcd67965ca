import type { Command } from 'commander';
import type { ModelComparison, ExportFormat, LatencyRecord } from '../../../common/contract/models.ts';
import type { RegisterCommands } from '../cli-types.ts';
import { ON_HELP } from '../job-options.ts';
import { formatTable, pct } from '../format.ts';
import path from 'node:path';
import { modelRef } from '../refs.ts';

function parseCount(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, not "${value}".`);
  return n;
}

/** 1234567 -> '1.23M'. */
function si(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}


function latencyCell(l: LatencyRecord | null, batch: string): string {
  const s = l?.tfjs[batch];
  return s ? `${s.meanMs.toFixed(2)}±${s.stdMs.toFixed(2)}` : '';
}

export function formatComparison(c: ModelComparison): string {
  const table = formatTable(
    ['id', 'name', 'arch', 'method', 'rate', 'accuracy', 'MACs', 'MACs -%', 'paper MACs', 'paper -%', 'params', 'zero filters', 'latency b1 ms', 'size'],
    c.models.map((m) => [
      String(m.id),
      m.name,
      m.arch,
      m.method ?? '',
      m.rate === null ? '' : String(m.rate),
      pct(m.accuracy),
      si(m.flops),
      pct(m.flopsReduction),
      m.paperFlops === null ? '' : si(m.paperFlops),
      pct(m.paperFlopsReduction),
      si(m.params),
      String(m.zeroFilters),
      latencyCell(m.latency, '1'),
      `${(m.sizeBytes / 2 ** 20).toFixed(2)} MiB`,
    ]),
  );
  const ids = c.models.map((m) => String(m.id));
  const layers = formatTable(
    ['layer', 'role', ...ids.map((id) => `#${id} filters (zero)`)],
    c.layers.map((l) => [
      l.layer,
      l.role,
      ...ids.map((id) => {
        const f = l.filters[id];
        const z = l.zeroFilters[id];
        return f === null || f === undefined ? '-' : z ? `${f} (${z})` : String(f);
      }),
    ]),
  );
  const lineage = c.models.map((m) => {
    const chain = (c.lineage[String(m.id)] ?? []).map((s) => {
      const bits = [s.method ?? '', s.rate === null ? '' : `rate ${s.rate}`, s.dataset ? `on ${s.dataset.name}` : '', s.job ? `job ${s.job.id} ${s.job.kind}` : '']
        .filter(Boolean)
        .join(', ');
      return `#${s.modelId} ${s.name}${bits ? ` (${bits})` : ''}`;
    });
    return `  ${chain.join(' <- ')}`;
  });
  return [table, '', 'Filters per conv layer (zeroed by soft pruning in brackets):', layers, '', 'Lineage (model <- parent):', ...lineage].join('\n');
}

function modelsCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'models') ?? program.command('models').description('Models: registry, import, export, comparison.');
}

/** `workbench models export | latency | compare | import`. */
export const registerExportCommands: RegisterCommands = (program, runtime) => {
  const models = modelsCommand(program);

  models
    .command('export <model>')
    .description('Export a model as ONNX or TF.js layers (model.json + weight shards), checked against the workbench forward pass; recorded as artifacts.')
    .requiredOption('--format <format>', 'onnx | tfjs')
    .option('--out <dir>', 'also copy the exported files into this folder')
    .option('--layout <layout>', 'ONNX input layout: nhwc (as in the workbench) | nchw', 'nhwc')
    .option('--no-verify', 'skip running the export against the workbench forward pass')
    .option('--backend <name>', 'compute backend for the job: auto | tensorflow | wasm | cpu')
    .option('--on <where>', ON_HELP)
    .action(async (idText: string, opts: { format: string; out?: string; layout: string; verify: boolean; backend?: string; on?: string }) => {
      if (opts.format !== 'onnx' && opts.format !== 'tfjs') throw new Error(`--format must be onnx or tfjs, not "${opts.format}".`);
      if (opts.layout !== 'nhwc' && opts.layout !== 'nchw') throw new Error(`--layout must be nhwc or nchw, not "${opts.layout}".`);
      const rt = await runtime();
      const params = {
        modelId: await modelRef(rt, '<model>', idText),
        format: opts.format as ExportFormat,
        inputLayout: opts.layout,
        verify: opts.verify,
        ...(opts.out !== undefined ? { outDir: path.resolve(opts.out) } : {}),
      };
      const job = await rt.runJob('models.export', params, { backend: opts.backend, on: opts.on });
      const result = job.result as { files: { path: string; sizeBytes: number; sha256: string; copiedTo?: string }[]; outputs?: string[]; verification: { relative: number; classMaps?: { relative: number } | null } | null };
      const v = result.verification;
      rt.output(result, () =>
        [
          ...result.files.map((f) => `${f.copiedTo ?? f.path}  ${f.sizeBytes} bytes  sha256 ${f.sha256}`),
          `Outputs: ${(result.outputs ?? ['logits']).join(', ')}.`,
          v ? `Checked against the workbench forward pass: relative difference ${v.relative.toExponential(2)}${v.classMaps ? ` (class maps ${v.classMaps.relative.toExponential(2)})` : ''}.` : 'Not checked (--no-verify).',
        ].join('\n'),
      );
    });

  models
    .command('latency <model>')
    .description('Measure inference latency on the current engine (warm-up, several runs; batch 1 and --batch); stored in the model metrics.')
    .option('--batch <n>', 'second batch size', '32')
    .option('--runs <n>', 'timed runs per batch size', '10')
    .option('--warmup <n>', 'untimed runs first', '3')
    .option('--onnx', 'also time the ONNX export in ONNX Runtime (CPU)')
    .option('--backend <name>', 'compute backend for the job: auto | tensorflow | wasm | cpu')
    .option('--on <where>', ON_HELP)
    .action(async (idText: string, opts: { batch: string; runs: string; warmup: string; onnx?: boolean; backend?: string; on?: string }) => {
      const rt = await runtime();
      const params = {
        modelId: await modelRef(rt, '<model>', idText),
        batchSize: parseCount(opts.batch, '--batch', 1),
        runs: parseCount(opts.runs, '--runs', 2),
        warmup: parseCount(opts.warmup, '--warmup', 0),
        onnxRuntime: Boolean(opts.onnx),
      };
      const job = await rt.runJob('models.latency', params, { backend: opts.backend, on: opts.on });
      const r = job.result as LatencyRecord;
      const rows = (engine: string, byBatch: LatencyRecord['tfjs']): string[][] =>
        Object.entries(byBatch).map(([b, s]) => [engine, b, s.meanMs.toFixed(2), s.stdMs.toFixed(2), s.medianMs.toFixed(2), s.minMs.toFixed(2), s.imagesPerSecond.toFixed(1)]);
      rt.output(r, () =>
        formatTable(['engine', 'batch', 'mean ms', 'std ms', 'median ms', 'min ms', 'img/s'], [
          ...rows(r.engine, r.tfjs),
          ...(r.onnxRuntime ? rows('onnxruntime (CPU)', r.onnxRuntime) : []),
        ]),
      );
    });

  models
    .command('compare <models...>')
    .description('Compare two or more models: accuracy, FLOPs (exact and paper-style), params, latency, size, filters per layer, lineage.')
    .action(async (idTexts: string[]) => {
      const rt = await runtime();
      const ids: number[] = [];
      for (const t of idTexts) ids.push(await modelRef(rt, '<models>', t));
      const comparison = await rt.call('models.compare', { ids });
      rt.output(comparison, () => formatComparison(comparison));
    });

  models
    .command('import <path>')
    .description('Import a model folder (model.json + weights.bin); a corrupt model or an unknown architecture is refused.')
    .option('--name <name>', 'display name (default: the folder name)')
    .option('--backend <name>', 'compute backend for the validation job: auto | tensorflow | wasm | cpu')
    .option('--on <where>', ON_HELP)
    .action(async (folder: string, opts: { name?: string; backend?: string; on?: string }) => {
      const rt = await runtime();
      const params = { path: path.resolve(folder), ...(opts.name !== undefined ? { name: opts.name } : {}) };
      const job = await rt.runJob('models.import', params, { backend: opts.backend, on: opts.on });
      const r = job.result as { name: string; arch: string; dir: string };
      rt.output({ jobId: job.id, ...r }, () => `Imported ${r.name} (${r.arch}) into ${r.dir} (job ${job.id}).`);
    });
};
