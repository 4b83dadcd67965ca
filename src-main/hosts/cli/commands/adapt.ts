import { jobKinds } from '../../../common/contract/kinds.ts';
import { datasetRef, optionalPositiveInt as int } from '../refs.ts';
import { adaptMethods, type AdaptAttentionResult, type AdaptTrainResult } from '../../../common/contract/adapt.ts';
import type { RegisterCommands } from '../cli-types.ts';
import { ON_HELP } from '../job-options.ts';
import { formatTable, pct } from '../format.ts';
import { readConfigFile } from './spgan.ts';
import { registerAdaptEvalCommand } from './adapt-eval.ts';


/** `workbench adapt ...` commands. */
export const registerAdaptCommands: RegisterCommands = (program, runtime) => {
  const adapt = program.command('adapt').description('Unsupervised domain adaptation: generated target domains, source-only and DANN runs');

  adapt
    .command('generate')
    .requiredOption('--source <id|name>', 'grayscale labeled dataset (e.g. Fashion-MNIST)')
    .requiredOption('--patches <id|name>', 'colour dataset whose crops are blended in (e.g. CIFAR-10 images)')
    .option('--limit-per-split <n>', 'only this many source images per split (seeded choice)')
    .option('--seed <n>', 'seed of the patch and crop draws', '1')
    .option('--name <name>', 'name of the new dataset')
    .option('--on <where>', ON_HELP)
    .description('Make an MNIST-M style colour target domain (|patch - image| per channel) with the same labels and splits')
    .action(async (opts: { source: string; patches: string; limitPerSplit?: string; seed: string; name?: string; on?: string }) => {
      const rt = await runtime();
      const params = {
        sourceDatasetId: await datasetRef(rt, '--source', opts.source),
        patchDatasetId: await datasetRef(rt, '--patches', opts.patches),
        ...(opts.limitPerSplit ? { limitPerSplit: int('--limit-per-split', opts.limitPerSplit) } : {}),
        seed: Number(opts.seed),
        ...(opts.name ? { name: opts.name } : {}),
      };
      const job = await rt.runJob(jobKinds.adaptGenerate, params, { on: opts.on });
      const ds = (await rt.call('datasets.list', {})).find((d) => d.jobId === job.id);
      rt.output({ jobId: job.id, datasetId: ds?.id ?? null, name: ds?.name ?? null, counts: ds?.counts ?? null }, () => `Dataset ${ds?.id ?? '?'} "${ds?.name ?? ''}": ${ds?.counts.samples ?? 0} blended images`);
    });

  adapt
    .command('train')
    .requiredOption('--method <name>', `one of ${adaptMethods.join(', ')}`)
    .requiredOption('--source <id|name>', "labeled source dataset ('train' trained on, 'test' reported)")
    .requiredOption('--target <id|name>', "target dataset ('train' used without labels, 'test' labels only measure)")
    .option('--source-domain <name>', "a domain of the source dataset (domain folders, e.g. Office-31's amazon): all its labelled images train")
    .option('--target-domain <name>', "a domain of the target dataset (e.g. webcam): all its images, unlabeled for training, labels only measure")
    .option('--config <file>', 'JSON with further fields (arch, modelOptions, epochs, batchSize, lr, domainWeight, limit, inputSize, ...)')
    .option('--epochs <n>', 'epochs (overrides the config file)')
    .option('--limit <n>', 'only this many training images per domain (seeded choice)')
    .option('--backend <name>', 'compute backend: auto, tensorflow, wasm, cpu')
    .option('--on <where>', ON_HELP)
    .description('Train a classifier on the source and adapt it to the target; prints source and target accuracy per epoch')
    .action(async (opts: { method: string; source: string; target: string; sourceDomain?: string; targetDomain?: string; config?: string; epochs?: string; limit?: string; backend?: string; on?: string }) => {
      const rt = await runtime();
      const params = {
        ...(opts.config ? (readConfigFile(opts.config) as Record<string, unknown>) : {}),
        method: opts.method,
        sourceDatasetId: await datasetRef(rt, '--source', opts.source),
        targetDatasetId: await datasetRef(rt, '--target', opts.target),
        ...(opts.sourceDomain ? { sourceDomain: opts.sourceDomain } : {}),
        ...(opts.targetDomain ? { targetDomain: opts.targetDomain } : {}),
        ...(opts.epochs ? { epochs: int('--epochs', opts.epochs) } : {}),
        ...(opts.limit ? { limit: int('--limit', opts.limit) } : {}),
      };
      const job = await rt.runJob(jobKinds.adaptTrain, params, { backend: opts.backend, on: opts.on });
      const r = job.result as AdaptTrainResult;
      rt.output({ jobId: job.id, ...r }, () =>
        [
          `Model ${r.modelId ?? '?'} "${r.name}" (${r.method}): source ${pct(r.sourceAccuracy)}, target ${pct(r.targetAccuracy)} (chance ${pct(r.chance)})`,
          formatTable(['epoch', ...Object.keys(r.history[0]?.losses ?? {}), 'source', 'target'], r.history.map((h) => [String(h.epoch), ...Object.values(h.losses).map((v) => v.toFixed(4)), pct(h.sourceAccuracy), pct(h.targetAccuracy)])),
        ].join('\n'),
      );
    });

  registerAdaptEvalCommand(adapt, runtime);

  adapt
    .command('runs')
    .description('Adaptation runs side by side: method, domains, source and target accuracy against chance')
    .action(async () => {
      const rt = await runtime();
      const runs = await rt.call('adapt.runs', {});
      rt.output(runs, () =>
        formatTable(
          ['job', 'method', 'source -> target', 'status', 'source acc', 'target acc', 'chance'],
          runs.map((r) => [String(r.jobId), r.method, `${r.sourceDatasetId} -> ${r.targetDatasetId}`, r.status, pct(r.sourceAccuracy), pct(r.targetAccuracy), pct(r.chance)]),
        ),
      );
    });

  adapt
    .command('attention')
    .requiredOption('--run <id>', 'a finished adaptation run (adapt.train job)')
    .option('--compare <id>', 'the source-only run to compare with (default: the newest on the same domains and architecture)')
    .option('--count <n>', 'images per row (source, translated, target)', '4')
    .option('--translated <id|name>', "the source translated to the target style (default: the run's own)")
    .option('--seed <n>', 'which images are drawn', '1')
    .option('--on <where>', ON_HELP)
    .description("Per-stage attention maps of a run's model beside a source-only model's on a few source, translated and target images (PNGs in the job folder)")
    .action(async (opts: { run: string; compare?: string; count: string; translated?: string; seed: string; on?: string }) => {
      const rt = await runtime();
      const params = {
        jobId: int('--run', opts.run),
        ...(opts.compare ? { compareJobId: int('--compare', opts.compare) } : {}),
        count: int('--count', opts.count),
        ...(opts.translated ? { translatedDatasetId: await datasetRef(rt, '--translated', opts.translated) } : {}),
        seed: Number(opts.seed),
      };
      const job = await rt.runJob(jobKinds.adaptAttention, params, { on: opts.on });
      const r = job.result as AdaptAttentionResult;
      const name = (i: number): string => r.classNames[i] ?? String(i);
      const mean = (v: number[] | undefined): string => (v?.length ? (v.reduce((a, b) => a + b, 0) / v.length).toFixed(3) : '-');
      rt.output({ attentionJobId: job.id, ...r }, () =>
        [
          `Attention maps of run ${r.jobId} (${r.method}) beside source-only run ${r.compareJobId}, ${r.stages.length} stages (${r.stages.map((s) => `${s.height}x${s.width}`).join(', ')}); PNGs in the folder of job ${job.id}.`,
          formatTable(
            ['row', 'image', 'label', 'source-only says', `${r.method} says`, 'source-only to source', `${r.method} to source`],
            r.rows.flatMap((row) => row.items.map((it, i) => [row.domain, String(i + 1), it.label < 0 ? '-' : name(it.label), name(it.sourceOnly.predicted), name(it.adapted.predicted), mean(it.sourceOnly.distance), mean(it.adapted.distance)])),
          ),
        ].join('\n'),
      );
    });
};
