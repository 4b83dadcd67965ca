import type { RegisterCommands } from '../cli-types.ts';
import { formatTable } from '../format.ts';
import { followSweep, ON_HELP, resolveOn } from '../job-options.ts';
import { CliError } from '../cli-errors.ts';
import { datasetRef, positiveInt } from '../refs.ts';
import { reproduceScales, type ReproduceScale, type ReproductionReport, type ReproductionSummary } from '../../../common/contract/reproduce.ts';

function seedList(value: string): number[] {
  const seeds = value.split(',').map((s) => Number(s.trim()));
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new CliError(`--seeds must be comma-separated non-negative integers, not "${value}".`);
  return seeds;
}

function statusCounts(r: ReproductionSummary): string {
  return Object.entries(r.jobs)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
}

function reportText(report: ReproductionReport): string {
  const r = report.reproduction;
  return [`reproduction ${r.id}: ${r.title}, ${r.scale} scale, dataset ${r.dataset ? `${r.dataset.name} (${r.dataset.id})` : '-'}, seeds ${r.seeds.join(',')}, sweep ${r.sweepId}`, '', report.markdown].join('\n');
}

/** `workbench reproduce list | show | start | runs | report`: the paper claims as one-click reproductions. */
export const registerReproduceCommands: RegisterCommands = (program, runtime) => {
  const cmd = program.command('reproduce').description("Reproduce the seed papers' claims (SFP table, PSFP vs SFP, Random Erasing, EraseReLU, pruning variants) at a quick or the paper scale.");
  cmd
    .command('list')
    .description('The catalogue: every reproduction with its runs per scale.')
    .action(async () => {
      const rt = await runtime();
      const entries = await rt.call('reproduce.catalogue', {});
      rt.output(entries, () =>
        formatTable(
          ['id', 'title', 'quick runs', 'quick image-epochs', 'paper runs'],
          entries.map((e) => [e.id, e.title, `${e.scales.quick.runs.length} x ${e.scales.quick.defaultSeeds.length} seeds`, e.scales.quick.imageEpochs.toLocaleString('en'), `${e.scales.paper.runs.length} x ${e.scales.paper.defaultSeeds.length} seeds`]),
        ),
      );
    });
  cmd
    .command('show <entry>')
    .description("One reproduction: its claim, both scales' protocols and runs, and the paper's numbers.")
    .action(async (id: string) => {
      const rt = await runtime();
      const entry = (await rt.call('reproduce.catalogue', {})).find((e) => e.id === id);
      if (!entry) throw new CliError(`No reproduction "${id}"; \`workbench reproduce list\` shows the catalogue.`);
      rt.output(entry, () =>
        [
          `${entry.title}: ${entry.claim}`,
          `paper: ${entry.paper}`,
          `dataset: ${entry.dataset.description}`,
          ...reproduceScales.map((s) => `${s} scale: ${entry.scales[s].description}\n  runs: ${entry.scales[s].runs.map((r) => r.key).join(', ')}`),
          formatTable(
            ['claim', 'paper', 'judged at quick scale'],
            entry.claims.map((c) => [c.label, c.paper === null ? (c.kind === 'direction' ? '> 0' : '-') : String(c.paper), c.judgedAtQuick ? 'yes' : 'no']),
          ),
        ].join('\n'),
      );
    });
  cmd
    .command('start <entry>')
    .description('Queue every run of a reproduction (one sweep) and, unless --no-wait, wait for them and print the report.')
    .requiredOption('--dataset <id|name>', 'dataset to train and test on')
    .option('--scale <scale>', `quick or paper`, 'quick')
    .option('--split <name>', 'a named split of the dataset (datasets split) to train and test on')
    .option('--seeds <list>', "comma-separated seeds (default: the scale's)")
    .option('--runs <keys>', 'only these runs (comma-separated keys, see `reproduce show`)')
    .option('--no-wait', 'queue and return')
    .option('--backend <name>', 'compute backend (auto, tensorflow, wasm, cpu)')
    .option('--on <place>', ON_HELP)
    .action(async (id: string, opts: { dataset: string; scale: string; split?: string; seeds?: string; runs?: string; wait: boolean; backend?: string; on?: string }) => {
      if (!(reproduceScales as readonly string[]).includes(opts.scale)) throw new CliError(`--scale must be quick or paper, not "${opts.scale}".`);
      const rt = await runtime();
      const started = await rt.call('reproduce.start', {
        entry: id,
        scale: opts.scale as ReproduceScale,
        datasetId: await datasetRef(rt, '--dataset', opts.dataset),
        ...(opts.split ? { split: opts.split } : {}),
        ...(opts.seeds ? { seeds: seedList(opts.seeds) } : {}),
        ...(opts.runs ? { runs: opts.runs.split(',').map((s) => s.trim()) } : {}),
        backend: opts.backend as 'auto' | undefined,
        runOn: await resolveOn(rt, opts.on),
      });
      rt.info(`Reproduction ${started.id} (${started.title}, ${started.scale} scale): sweep ${started.sweepId}, ${statusCounts(started)}.`);
      if (!opts.wait) {
        rt.output(started, () => `reproduction ${started.id} queued; \`workbench reproduce report ${started.id}\` shows where it stands`);
        return;
      }
      await followSweep(rt, started.sweepId, await rt.call('jobs.list', { sweepId: started.sweepId }));
      const report = await rt.call('reproduce.report', { id: started.id });
      rt.output(report, () => reportText(report));
    });
  cmd
    .command('runs')
    .description('Started reproductions, newest first, with their jobs per status.')
    .action(async () => {
      const rt = await runtime();
      const list = await rt.call('reproduce.list', {});
      rt.output(list, () =>
        formatTable(
          ['id', 'reproduction', 'scale', 'dataset', 'seeds', 'jobs', 'started'],
          list.map((r) => [String(r.id), r.title, r.scale, r.dataset ? `${r.dataset.name} (${r.dataset.id})` : '-', r.seeds.join(','), statusCounts(r), r.createdAt]),
        ),
      );
    });
  cmd
    .command('report <id>')
    .description("The paper's numbers beside ours, each claim's status (reproduced, differs, not comparable at the quick scale, pending), and every run.")
    .action(async (id: string) => {
      const rt = await runtime();
      const report = await rt.call('reproduce.report', { id: positiveInt('report <id>', id) });
      rt.output(report, () => reportText(report));
    });
};
