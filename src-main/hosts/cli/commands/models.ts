import { jobKinds } from '../../../common/contract/kinds.ts';
import { readJsonFile } from '../json-file.ts';
import type { Command } from 'commander';
import type { CliRuntime, JobRunOptions, RegisterCommands } from '../cli-types.ts';
import { followSweep, parseSweep, resolveOn } from '../job-options.ts';
import type { JobSummary } from '../../../common/contract/jobs.ts';
import { ON_HELP } from '../job-options.ts';
import { formatTable, pct } from '../format.ts';
import type { FlopsReport, ModelGraph, ModelSummary } from '../../../common/contract/models.ts';
import { trainConfigSchema, type TrainResult } from '../../../common/contract/train.ts';
import { configReference } from '../config-reference.ts';
import { modelRef } from '../refs.ts';

function findOrAdd(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

const big = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : String(v));

function listText(models: ModelSummary[]): string {
  if (models.length === 0) return 'No models yet.';
  return formatTable(
    ['id', 'name', 'arch', 'method', 'rate', 'parent', 'accuracy', 'params'],
    models.map((m) => [
      String(m.id),
      m.name,
      m.arch,
      m.method ?? '-',
      pct(m.rate, 2),
      m.parentModelId === null ? '-' : String(m.parentModelId),
      pct(m.metrics.accuracy, 2),
      typeof m.metrics.params === 'number' ? big(m.metrics.params) : '-',
    ]),
  );
}

function flopsText(r: FlopsReport): string {
  const lines = [
    `model ${r.modelId} (${r.arch})`,
    `MACs (exact, all conv + FC)  ${big(r.macs)}   baseline ${big(r.baseline.macs)}   reduction ${pct(r.reduction, 2)}`,
    `MACs (3x3 convs only)        ${big(r.macs3x3)}   baseline ${big(r.baseline.macs3x3)}   reduction ${pct(r.reduction3x3, 2)}`,
    `params                       ${big(r.params)}   baseline ${big(r.baseline.params)}`,
  ];
  if (r.paperStyle) lines.push(`SFP paper-style reduction at rate ${pct(r.paperStyle.rate, 2)}: ${pct(r.paperStyle.reduction, 2)} (baseline ${r.paperStyle.baselineMacs3x3.toExponential(2)})`);
  lines.push('', formatTable(['layer', 'role', 'kernel', 'out', 'MACs', 'params'], r.layers.map((l) => [l.name, l.role ?? '-', l.kernel.join('x'), l.outShape.join('x'), big(l.macs), big(l.params)])));
  return lines.join('\n');
}

/** The graph as a table in topological order: inputs, output shape, params, MACs, and the kept/original width of pruned convs. */
function graphText(g: ModelGraph): string {
  const lines = [
    `model ${g.modelId} ${g.name} (${g.arch}${g.method ? `, ${g.method}` : ''}): ${g.nodes.length} nodes, ${g.edges.length} edges (${g.edges.filter((e) => e.kind === 'residual').length} residual), params ${big(g.params)}, MACs ${big(g.macs)}, ${g.prunedConvs} pruned convs`,
    '',
    formatTable(
      ['node', 'op', 'role', 'inputs', 'out', 'params', 'MACs', 'filters'],
      g.nodes.map((n) => [
        n.name,
        n.op,
        n.role,
        n.inputs.join(', '),
        n.outShape.join('x'),
        big(n.params),
        big(n.macs),
        n.width ? `${n.width.kept}/${n.width.original}${n.width.zeroed ? ` (${n.width.zeroed} zero)` : ''}${n.width.pruned ? ' *' : ''}` : '',
      ]),
    ),
  ];
  return lines.join('\n');
}

/** Queues a sweep and waits until every member has ended (members run one after another locally, as one array on Slurm). */
async function runSweep(rt: CliRuntime, kind: string, params: unknown, sweep: { field: string; values: unknown[] }, opts: JobRunOptions): Promise<{ sweepId: string; field: string; jobs: (JobSummary & { value: unknown })[] }> {
  const queued = await rt.call('jobs.sweep', { kind, params, sweep, backend: opts.backend as 'auto' | undefined, runOn: await resolveOn(rt, opts.on) });
  rt.info(`Sweep ${queued.sweepId}: ${queued.jobs.length} jobs (${queued.jobs.map((j) => j.id).join(', ')}) over ${sweep.field} = ${sweep.values.map((v) => JSON.stringify(v)).join(', ')}.`);
  const jobs = await followSweep(rt, queued.sweepId, queued.jobs);
  return { sweepId: queued.sweepId, field: sweep.field, jobs: jobs.map((j, i) => ({ ...j, value: sweep.values[i] })) };
}

function sweepText(s: { sweepId: string; field: string; jobs: (JobSummary & { value: unknown })[] }): string {
  return [`sweep ${s.sweepId}`, formatTable(['job', s.field, 'status', 'error'], s.jobs.map((j) => [String(j.id), JSON.stringify(j.value), j.status, j.error ?? '']))].join('\n');
}

/** `workbench train --config FILE` and `workbench models list | compact | flops | graph | architectures`. */
export const registerModelsCommands: RegisterCommands = (program, runtime) => {
  program
    .command('train')
    .description('Train, fine-tune or SFP/PSFP-prune a model from a JSON config (every field: workbench train --help-config).')
    .option('--config <file>', 'JSON config file (required)')
    .option('--help-config', 'print every config field with its type, limits and default, and exit')
    .option('--backend <name>', 'compute backend (auto, tensorflow, wasm, cpu)')
    .option('--on <where>', ON_HELP)
    .option('--sweep <field=values>', "one job per value of a config field, as one sweep (e.g. 'prune.rate=0.1,0.2,0.3'); on Slurm one job array")
    .action(async (opts: { config?: string; helpConfig?: boolean; backend?: string; on?: string; sweep?: string }) => {
      if (opts.helpConfig) {
        process.stdout.write(`${configReference('The train config (JSON; an annotated example is in the documentation, "train config").', trainConfigSchema)}\n`);
        return;
      }
      if (!opts.config) throw new Error("required option '--config <file>' not specified (every field: workbench train --help-config)");
      const config = readJsonFile('--config', opts.config);
      const rt = await runtime();
      if (opts.sweep) {
        const sweep = await runSweep(rt, jobKinds.trainRun, config, parseSweep(opts.sweep), opts);
        rt.output(sweep, () => sweepText(sweep));
        return;
      }
      const job = await rt.runJob(jobKinds.trainRun, config, { backend: opts.backend, on: opts.on });
      const result = job.result as TrainResult;
      rt.output({ jobId: job.id, status: job.status, ...result }, () =>
        [
          `run ${job.id} ${job.status}: ${result.model.name}`,
          `accuracy ${pct(result.metrics.accuracy, 2)}${result.metrics.accuracyBnRecalibrated !== null ? ` (BN re-estimated ${pct(result.metrics.accuracyBnRecalibrated, 2)})` : ''}`,
          `params ${big(result.metrics.params)}, MACs ${big(result.metrics.macs)}${result.metrics.flopsReductionPaper !== null ? `, paper-style FLOPs reduction ${pct(result.metrics.flopsReductionPaper, 2)}` : ''}`,
          `${result.metrics.imagesPerSecond.toFixed(1)} img/s, ${result.metrics.seconds.toFixed(0)} s of training`,
        ].join('\n'),
      );
    });

  const models = findOrAdd(program, 'models', 'Models: registry, training results, pruning, export.');
  models
    .command('list')
    .description('Models in the workspace, newest first.')
    .option('--method <m>', 'only this method (baseline, sfp, psfp, finetune, compact)')
    .action(async (opts: { method?: string }) => {
      const rt = await runtime();
      const list = await rt.call('models.list', opts.method ? { method: opts.method } : {});
      rt.output(list, () => listText(list));
    });
  models
    .command('architectures')
    .description('Architectures of the model registry.')
    .action(async () => {
      const rt = await runtime();
      const list = await rt.call('models.architectures', {});
      rt.output(list, () => formatTable(['name', 'family', 'input', 'description'], list.map((m) => [m.name, m.family, m.defaultInputSize.join('x'), m.description])));
    });
  models
    .command('flops <model>')
    .description('Exact per-layer MACs and parameters, and the SFP paper-style FLOPs reduction.')
    .action(async (id: string) => {
      const rt = await runtime();
      const report = await rt.call('models.flops', { id: await modelRef(rt, '<model>', id) });
      rt.output(report, () => flopsText(report));
    });
  models
    .command('graph <model>')
    .description('The model as a graph: nodes in topological order (op, role, shapes, params, MACs), edges with residual connections, pruned conv widths (* pruned).')
    .action(async (id: string) => {
      const rt = await runtime();
      const graph = await rt.call('models.graph', { id: await modelRef(rt, '<model>', id) });
      rt.output(graph, () => graphText(graph));
    });
  models
    .command('compact <model>')
    .description('Hard-prune a soft-pruned model: remove zeroed filters; the result gives the same outputs.')
    .option('--name <name>', 'name of the compact model')
    .option('--no-scatter', 'keep zero filters of convs feeding the residual stream (no scatter ops)')
    .option('--align <n>', 'round kept filter counts up to a multiple of n', '1')
    .option('--backend <name>', 'compute backend (auto, tensorflow, wasm, cpu)')
    .option('--on <where>', ON_HELP)
    .action(async (id: string, opts: { name?: string; scatter: boolean; align: string; backend?: string; on?: string }) => {
      const rt = await runtime();
      const params = { modelId: await modelRef(rt, '<model>', id), scatter: opts.scatter, align: Number(opts.align), ...(opts.name ? { name: opts.name } : {}) };
      const job = await rt.runJob(jobKinds.modelsCompact, params, { backend: opts.backend, on: opts.on });
      const result = job.result as { model: { name: string }; metrics: Record<string, number>; layers: { name: string; before: number; after: number }[] };
      const created = (await rt.call('models.list', { method: 'compact' })).find((m) => m.jobId === job.id);
      rt.output({ jobId: job.id, modelId: created?.id ?? null, ...result }, () =>
        [
          `model ${created?.id ?? '?'}: ${result.model.name}`,
          `params ${big(result.metrics.params!)}, MACs ${big(result.metrics.macs!)} (reduction ${pct(result.metrics.reduction, 2)})`,
          `max |output difference| vs masked model ${result.metrics.maxAbsDiff!.toExponential(2)}`,
          `latency batch ${result.metrics.latencyBatch}: ${result.metrics.parentLatencyMs!.toFixed(1)} ms -> ${result.metrics.latencyMs!.toFixed(1)} ms (x${result.metrics.speedup!.toFixed(2)})`,
        ].join('\n'),
      );
    });
};
