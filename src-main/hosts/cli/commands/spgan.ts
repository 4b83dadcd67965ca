import { jobKinds } from '../../../common/contract/kinds.ts';
import { readJsonFile } from '../json-file.ts';
import type { RegisterCommands } from '../cli-types.ts';
import { ON_HELP } from '../job-options.ts';
import type { SpganRunSummary } from '../../../common/contract/spgan.ts';
import { formatTable } from '../format.ts';
import { datasetRef } from '../refs.ts';

/** Reads a JSON config file; errors name the file. */
export function readConfigFile(file: string): unknown {
  return readJsonFile('--config', file);
}

function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: expected a positive integer, got '${value}'.`);
  return n;
}

const fmt = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(3));

/** `workbench spgan ...` commands. */
export const registerSpganCommands: RegisterCommands = (program, runtime) => {
  const spgan = program.command('spgan').description('SPGAN: translate a labeled re-ID dataset into the style of another domain');

  spgan
    .command('train')
    .requiredOption('--config <file>', 'JSON config: sourceDatasetId, targetDatasetId, imageSize, residualBlocks, epochs, lambda* ... (see spganConfigSchema)')
    .option('--backend <name>', 'compute backend: auto, tensorflow, wasm, cpu')
    .option('--on <where>', ON_HELP)
    .description('Train SPGAN (contrastive weight 0 = CycleGAN + identity loss) between two re-ID datasets')
    .action(async (opts: { config: string; backend?: string; on?: string }) => {
      const config = readConfigFile(opts.config);
      const rt = await runtime();
      const job = await rt.runJob(jobKinds.spganTrain, config, { backend: opts.backend, on: opts.on });
      const r = job.result as { epochs: number; secondsPerEpoch: number[]; lastLosses: Record<string, number> | null; backend: string };
      rt.output({ jobId: job.id, ...r }, () => {
        const losses = r.lastLosses ? Object.entries(r.lastLosses).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ') : 'none';
        const mean = r.secondsPerEpoch.length ? r.secondsPerEpoch.reduce((a, b) => a + b, 0) / r.secondsPerEpoch.length : 0;
        return `SPGAN run ${job.id}: ${r.epochs} epochs on ${r.backend}, ${mean.toFixed(1)} s/epoch\nlast epoch: ${losses}`;
      });
    });

  spgan
    .command('translate')
    .requiredOption('--run <id>', "the 'spgan.train' job whose generator translates")
    .requiredOption('--dataset <id|name>', 'dataset to translate (source domain)')
    .option('--epoch <n>', 'checkpoint epoch (default: the last)')
    .option('--name <name>', 'name of the new dataset')
    .option('--backend <name>', 'compute backend: auto, tensorflow, wasm, cpu')
    .option('--on <where>', ON_HELP)
    .description('Translate a dataset into a NEW dataset (format translated) that keeps person ids, cameras and splits')
    .action(async (opts: { run: string; dataset: string; epoch?: string; name?: string; backend?: string; on?: string }) => {
      const rt = await runtime();
      const params = {
        runJobId: positiveInt('--run', opts.run),
        datasetId: await datasetRef(rt, '--dataset', opts.dataset),
        ...(opts.epoch ? { epoch: positiveInt('--epoch', opts.epoch) } : {}),
        ...(opts.name ? { name: opts.name } : {}),
      };
      const job = await rt.runJob(jobKinds.spganTranslate, params, { backend: opts.backend, on: opts.on });
      const list = await rt.call('spgan.translatedDatasets', { runJobId: params.runJobId! });
      const made = list.find((d) => d.lineage.translateJobId === job.id);
      rt.output({ jobId: job.id, dataset: made ?? null }, () =>
        made ? `Dataset ${made.datasetId} "${made.name}": ${made.samples} translated images (run ${made.lineage.runJobId}, epoch ${made.lineage.epoch})` : `Job ${job.id} finished`,
      );
    });

  spgan
    .command('runs')
    .description('SPGAN runs with their checkpoint epochs and last losses')
    .action(async () => {
      const rt = await runtime();
      const runs: SpganRunSummary[] = await rt.call('spgan.runs', {});
      rt.output(runs, () =>
        runs.length === 0
          ? 'No SPGAN runs yet: workbench spgan train --config FILE'
          : formatTable(
              ['job', 'status', 'source', 'target', 'size', 'epochs', 'd_A', 'd_B', 'cycle', 'contrastive'],
              runs.map((r) => [
                String(r.jobId),
                r.status,
                String(r.sourceDatasetId),
                String(r.targetDatasetId),
                r.config.imageSize.join('x'),
                r.checkpointEpochs.join(',') || '-',
                fmt(r.lastLosses?.d_A),
                fmt(r.lastLosses?.d_B),
                fmt(r.lastLosses?.cycle),
                fmt(r.lastLosses?.contrastive),
              ]),
            ),
      );
    });
};
