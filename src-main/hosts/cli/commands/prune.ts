import type { RegisterCommands } from '../cli-types.ts';
import { formatTable, pct } from '../format.ts';
import { datasetRef, modelRef, positiveInt } from '../refs.ts';
import { jobKinds } from '../../../common/contract/kinds.ts';
import { layerRatesFromSensitivity, pruneCriteria, type PruneSensitivityConfigInput, type SensitivityResult } from '../../../common/contract/prune.ts';

function rateList(value: string): number[] {
  const rates = value.split(',').map((s) => Number(s.trim()));
  if (rates.some((r) => !(r > 0 && r < 1))) throw new Error(`--rates must be comma-separated fractions in (0, 1), not "${value}".`);
  return rates;
}


/** `workbench prune sensitivity`: the per-layer (or per-stage) sensitivity scan of a trained model. */
export const registerPruneCommands: RegisterCommands = (program, runtime) => {
  const prune = program.command('prune').description('Pruning analysis: sensitivity of each layer to pruning.');
  prune
    .command('sensitivity')
    .description('Prune each conv (or stage) of a trained model alone at rates 10..90% and evaluate on the test split (BN re-estimated).')
    .requiredOption('--model <id|name>', 'workspace model')
    .requiredOption('--dataset <id|name>', 'dataset (its test split is evaluated)')
    .option('--criterion <name>', `importance criterion (${pruneCriteria.join(', ')})`, 'l2')
    .option('--stage', 'prune each stage instead of each conv')
    .option('--rates <list>', 'comma-separated rates, e.g. 0.1,0.3,0.5')
    .option('--test-limit <n>', 'evaluate only the first N test images')
    .option('--bn-batches <n>', 'training batches that re-estimate BN statistics (0 = none)')
    .option('--max-drop <fraction>', 'also print prune.layerRates: per layer the largest rate within this accuracy drop', '0.01')
    .option('--backend <name>', 'compute backend (auto, tensorflow, wasm, cpu)')
    .action(async (opts: { model: string; dataset: string; criterion: string; stage?: boolean; rates?: string; testLimit?: string; bnBatches?: string; maxDrop: string; backend?: string }) => {
      const rt = await runtime();
      const params: PruneSensitivityConfigInput = {
        modelId: await modelRef(rt, '--model', opts.model),
        dataset: { id: await datasetRef(rt, '--dataset', opts.dataset), ...(opts.testLimit ? { testLimit: positiveInt('--test-limit', opts.testLimit) } : {}) },
        criterion: opts.criterion as PruneSensitivityConfigInput['criterion'],
        granularity: opts.stage ? 'stage' : 'conv',
        ...(opts.rates ? { rates: rateList(opts.rates) } : {}),
        ...(opts.bnBatches !== undefined ? { bnRecalibrationBatches: Number(opts.bnBatches) } : {}),
      };
      const maxDrop = Number(opts.maxDrop);
      if (!(maxDrop >= 0 && maxDrop < 1)) throw new Error(`--max-drop must be a fraction in [0, 1), not "${opts.maxDrop}".`);
      const job = await rt.runJob(jobKinds.pruneSensitivity, params, opts.backend ? { backend: opts.backend } : {});
      const result = job.result as SensitivityResult;
      const layerRates = layerRatesFromSensitivity(result, maxDrop);
      rt.output({ jobId: job.id, status: job.status, ...result, layerRates }, () =>
        [
          `scan ${job.id} ${job.status}: model ${result.modelId} (${result.arch}) by ${result.criterion}, unpruned ${pct(result.baseline)} on ${result.count} test images`,
          formatTable([result.granularity, ...result.rates.map((r) => pct(r, 0))], result.groups.map((g) => [g.name, ...g.accuracy.map((a) => pct(a))])),
          `prune.layerRates within ${pct(maxDrop)} of the unpruned accuracy:`,
          JSON.stringify(layerRates),
        ].join('\n'),
      );
    });
};
