import { jobKinds } from '../../../common/contract/kinds.ts';
import type { AdaptEvalResult } from '../../../common/contract/adapt.ts';
import { datasetRef, optionalPositiveInt as int } from '../refs.ts';
import type { CliRuntime } from '../cli-types.ts';
import type { Command } from 'commander';
import { ON_HELP } from '../job-options.ts';
import { formatTable, pct } from '../format.ts';


/** `workbench adapt eval`: a run's (or classifier's) accuracy on source and target, per-class accuracy, confusion, and the 2-D embedding. */
export function registerAdaptEvalCommand(adapt: Command, runtime: () => Promise<CliRuntime>): void {
  adapt
    .command('eval')
    .option('--run <id>', 'a finished adaptation run (adapt.train job): its model, source and target')
    .option('--model <id>', 'or any workspace classifier (then --source and --target are required)')
    .option('--source <id|name>', "source dataset (default: the run's)")
    .option('--target <id|name>', "target dataset (default: the run's); its labels only measure")
    .option('--source-split <name>', 'split of the source measured', 'test')
    .option('--target-split <name>', 'split of the target measured', 'test')
    .option('--limit <n>', 'measure at most this many images per domain (seeded choice)')
    .option('--embed <n>', 'images per domain projected to 2-D (PCA of the penultimate features)', '200')
    .option('--seed <n>', 'which images are drawn', '1')
    .option('--on <where>', ON_HELP)
    .description('Evaluate a model on a source and a target split: accuracies, per-class accuracy and confusion on the target, 2-D PCA of both domains\' features')
    .action(async (opts: { run?: string; model?: string; source?: string; target?: string; sourceSplit: string; targetSplit: string; limit?: string; embed: string; seed: string; on?: string }) => {
      const rt = await runtime();
      const params = {
        ...(opts.run ? { jobId: int('--run', opts.run) } : {}),
        ...(opts.model ? { modelId: int('--model', opts.model) } : {}),
        ...(opts.source ? { sourceDatasetId: await datasetRef(rt, '--source', opts.source) } : {}),
        ...(opts.target ? { targetDatasetId: await datasetRef(rt, '--target', opts.target) } : {}),
        sourceSplit: opts.sourceSplit,
        targetSplit: opts.targetSplit,
        ...(opts.limit ? { limit: int('--limit', opts.limit) } : {}),
        embedCount: int('--embed', opts.embed),
        seed: Number(opts.seed),
      };
      const job = await rt.runJob(jobKinds.adaptEval, params, { on: opts.on });
      const r = job.result as AdaptEvalResult;
      const name = (i: number): string => r.classNames[i] ?? String(i);
      rt.output({ evalJobId: job.id, ...r }, () =>
        [
          `"${r.modelName}" (${r.method ?? r.arch}): source ${pct(r.source.accuracy)} of ${r.source.count} (${r.sourceSplit}), target ${pct(r.target.accuracy)} of ${r.target.count} (${r.targetSplit}); chance ${pct(r.chance)}`,
          formatTable(['class', 'target acc', 'images', 'most often predicted as'], r.target.perClass.map((c, i) => {
            const row = r.target.confusion[i]!;
            const top = row.indexOf(Math.max(...row));
            return [name(i), pct(c.accuracy), String(c.support), c.support ? name(top) : '-'];
          })),
          `Embedding: ${r.embedding.points.length} images, PCA axes explain ${pct(r.embedding.explained[0])} and ${pct(r.embedding.explained[1])} of the variance (--json for the points).`,
        ].join('\n'),
      );
    });
}
