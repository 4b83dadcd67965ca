import { jobKinds } from '../../../common/contract/kinds.ts';
import { datasetRef, modelRef, positiveInt } from '../refs.ts';
import type { RegisterCommands } from '../cli-types.ts';
import { ON_HELP } from '../job-options.ts';
import type { ReidMetrics } from '../../../common/contract/reid.ts';
import { formatTable, pct } from '../format.ts';
import { readConfigFile } from './spgan.ts';


/** `workbench reid ...` commands. */
export const registerReidCommands: RegisterCommands = (program, runtime) => {
  const reid = program.command('reid').description('Person re-ID: IDE models and Market-1501-protocol evaluation');

  reid
    .command('train')
    .requiredOption('--config <file>', 'JSON config: datasetId, arch (resnet18/34/50), imageSize, width, lmpParts, epochs ... (see reidTrainSchema)')
    .option('--backend <name>', 'compute backend: auto, tensorflow, wasm, cpu')
    .option('--on <where>', ON_HELP)
    .description('Train an IDE re-ID model (identity classifier, frozen BatchNorm) on a source or translated dataset')
    .action(async (opts: { config: string; backend?: string; on?: string }) => {
      const config = readConfigFile(opts.config);
      const rt = await runtime();
      const job = await rt.runJob(jobKinds.reidTrain, config, { backend: opts.backend, on: opts.on });
      const models = await rt.call('reid.models', {});
      const model = models.find((m) => m.jobId === job.id);
      const r = job.result as { finalLoss: number; finalAccuracy: number; secondsPerEpoch: number[] };
      rt.output({ jobId: job.id, modelId: model?.modelId ?? null, ...r }, () =>
        `Model ${model?.modelId ?? '?'} "${model?.name ?? ''}": loss ${r.finalLoss.toFixed(4)}, train accuracy ${pct(r.finalAccuracy, 2)}, ${(r.secondsPerEpoch.reduce((a, b) => a + b, 0) / Math.max(1, r.secondsPerEpoch.length)).toFixed(1)} s/epoch`,
      );
    });

  reid
    .command('eval')
    .requiredOption('--model <id|name>', 'IDE model')
    .requiredOption('--query <id|name>', "dataset whose 'query' split is the query set")
    .option('--gallery <id|name>', "dataset whose 'gallery' split is the gallery (default: the query dataset)")
    .option('--top-k <n>', 'ranked-list length stored per query for the explorer', '100')
    .option('--backend <name>', 'compute backend: auto, tensorflow, wasm, cpu')
    .option('--on <where>', ON_HELP)
    .description('CMC rank-1/5/10/20 and mAP (junk removed, distractors kept; a query without good match counts as a miss and AP 0)')
    .action(async (opts: { model: string; query: string; gallery?: string; topK: string; backend?: string; on?: string }) => {
      const rt = await runtime();
      const query = await datasetRef(rt, '--query', opts.query);
      const params = {
        modelId: await modelRef(rt, '--model', opts.model),
        queryDatasetId: query,
        galleryDatasetId: opts.gallery ? await datasetRef(rt, '--gallery', opts.gallery) : query,
        storeTopK: positiveInt('--top-k', opts.topK),
      };
      const job = await rt.runJob(jobKinds.reidEval, params, { backend: opts.backend, on: opts.on });
      const m = (job.result as { metrics: ReidMetrics }).metrics;
      rt.output({ evalJobId: job.id, modelId: params.modelId, queryDatasetId: params.queryDatasetId, galleryDatasetId: params.galleryDatasetId, ...m }, () =>
        [
          `Eval ${job.id}: model ${params.modelId}, ${m.queries} queries (${m.queriesWithoutGood} without a good match) x ${m.gallery} gallery images`,
          formatTable(['rank-1', 'rank-5', 'rank-10', 'rank-20', 'mAP'], [[pct(m.rank1, 2), pct(m.rank5, 2), pct(m.rank10, 2), pct(m.rank20, 2), pct(m.mAP, 2)]]),
        ].join('\n'),
      );
    });

  reid
    .command('models')
    .description('IDE models with their evaluations')
    .action(async () => {
      const rt = await runtime();
      const models = await rt.call('reid.models', {});
      rt.output(models, () =>
        models.length === 0
          ? 'No re-ID models yet: workbench reid train --config FILE'
          : formatTable(
              ['id', 'name', 'arch', 'dataset', 'dim', 'last rank-1', 'last mAP'],
              models.map((m) => [String(m.modelId), m.name, m.arch, String(m.datasetId ?? '-'), String(m.featureDim), m.evals[0] ? pct(m.evals[0].metrics.rank1, 2) : '-', m.evals[0] ? pct(m.evals[0].metrics.mAP, 2) : '-']),
            ),
      );
    });
};
