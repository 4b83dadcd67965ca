import { jobKinds } from '../../../common/contract/kinds.ts';
import { datasetRef } from '../refs.ts';
import type { RegisterCommands } from '../cli-types.ts';
import { ON_HELP } from '../job-options.ts';
import type { DatasetDetail, DatasetFormat, ImportReport } from '../../../common/contract/datasets.ts';
import { datasetFormats } from '../../../common/contract/datasets.ts';
import { classesWithoutText, comparePartNames, partsText } from '../../../common/split-parts.ts';
import { formatTable } from '../format.ts';

function countsLine(r: { counts: ImportReport['counts'] }): string {
  const c = r.counts;
  const splits = partsText(c.splits);
  const parts = [`${c.samples} samples`];
  if (c.classes) parts.push(`${c.classes} classes`);
  if (c.identities) parts.push(`${c.identities} identities`);
  if (c.cameras) parts.push(`${c.cameras} cameras`);
  if (c.withBoxes) parts.push(`${c.withBoxes} with boxes`);
  return `${parts.join(', ')} (${splits})`;
}

function showDetail(d: DatasetDetail, stats: { perIdentity: { key: string; count: number }[]; perCamera: { key: string; count: number }[]; perSplit: { key: string; count: number }[] }): string {
  const lines = [`Dataset ${d.id} "${d.name}" — ${d.format}, ${d.storage}, ${d.rootPath}`, countsLine(d)];
  for (const w of d.warnings) lines.push(`warning: ${w}`);
  lines.push('', formatTable(['split', 'samples'], [...stats.perSplit].sort((a, b) => comparePartNames(a.key, b.key)).map((b) => [b.key, String(b.count)])));
  if (d.classes.length > 0) lines.push('', formatTable(['idx', 'class', 'samples'], d.classes.map((c) => [String(c.idx), c.name, String(c.count)])));
  if (stats.perCamera.length > 0) lines.push('', formatTable(['camera', 'images'], stats.perCamera.map((b) => [b.key, String(b.count)])));
  if (stats.perIdentity.length > 0) {
    const ids = stats.perIdentity;
    lines.push('', `${ids.length} person ids (incl. junk -1 / distractor 0 when present); images per id:`);
    lines.push(formatTable(['person', 'images'], ids.slice(0, 50).map((b) => [b.key, String(b.count)])));
    if (ids.length > 50) lines.push(`... ${ids.length - 50} more (use --json for all)`);
  }
  if (d.problemCount > 0) lines.push('', `${d.problemCount} import problems (first: ${d.problems[0]?.file}: ${d.problems[0]?.message})`);
  return lines.join('\n');
}

/** `workbench datasets ...` commands. */
export const registerDatasetsCommands: RegisterCommands = (program, runtime) => {
  const datasets = program.command('datasets').description('Import and inspect datasets');

  datasets
    .command('import')
    .argument('<path>', 'folder holding the dataset')
    .option('--format <format>', `auto (detect from the folder) or one of ${datasetFormats.join(', ')}`, 'auto')
    .option('--name <name>', 'dataset name (default: the folder name)')
    .option('--allow-duplicate', 'import a folder that is already imported')
    .option('--follow-links-out', 'read files that symbolic links in the folder lead to outside it (refused by default)')
    .option('--backend <name>', 'compute backend (unused by imports; accepted like every job command)')
    .option('--on <where>', ON_HELP)
    .description('Index a dataset in place (image files) or decode it into the workspace (CIFAR, IDX)')
    .action(async (path: string, opts: { format: DatasetFormat | 'auto'; name?: string; allowDuplicate?: boolean; followLinksOut?: boolean; backend?: string; on?: string }) => {
      const rt = await runtime();
      const job = await rt.runJob(
        jobKinds.datasetsImport,
        { path, format: opts.format, ...(opts.name ? { name: opts.name } : {}), allowDuplicate: Boolean(opts.allowDuplicate), followLinksOut: Boolean(opts.followLinksOut) },
        { backend: opts.backend, on: opts.on },
      );
      const { report } = job.result as { report: ImportReport };
      rt.output(report, () => {
        const lines = [`Dataset ${report.datasetId} "${report.name}" imported as ${report.format} (${report.formatSource}) in ${(report.durationMs / 1000).toFixed(1)} s`, countsLine(report)];
        for (const w of report.warnings) lines.push(`warning: ${w}`);
        if (report.problemCount > 0) {
          lines.push(`${report.problemCount} problems:`);
          for (const p of report.problems.slice(0, 50)) lines.push(`  ${p.file}: [${p.code}] ${p.message}`);
          if (report.problemCount > 50) lines.push(`  ... ${report.problemCount - 50} more (see --json or the job's report.json)`);
        }
        return lines.join('\n');
      });
    });

  datasets
    .command('list')
    .description('Every dataset with its counts')
    .action(async () => {
      const rt = await runtime();
      const list = await rt.call('datasets.list', {});
      rt.output(list, () =>
        list.length === 0
          ? 'No datasets yet: workbench datasets import PATH'
          : formatTable(
              ['id', 'name', 'format', 'samples', 'classes', 'ids', 'cams', 'size', 'root'],
              list.map((d) => [
                String(d.id),
                d.name,
                d.format,
                String(d.counts.samples),
                String(d.counts.classes),
                String(d.counts.identities),
                String(d.counts.cameras),
                d.imageSize ? `${d.imageSize.width}x${d.imageSize.height}` : 'mixed',
                d.rootPath,
              ]),
            ),
      );
    });

  datasets
    .command('show')
    .argument('<dataset>', 'dataset id or name')
    .description('Counts per class, identity, camera and split')
    .action(async (id: string) => {
      const rt = await runtime();
      const datasetId = await datasetRef(rt, '<dataset>', id);
      const detail = await rt.call('datasets.get', { id: datasetId });
      const stats = await rt.call('datasets.stats', { id: datasetId });
      rt.output({ ...detail, stats }, () => showDetail(detail, stats));
    });

  datasets
    .command('split')
    .argument('<dataset>', 'dataset id or name')
    .description('Make a named split stored with the dataset: seeded random by fraction (stratified per class), or re-ID query/gallery')
    .requiredOption('--name <name>', 'name of the split (runs choose it as dataset.split)')
    .option('--method <method>', 'random (train/val/test) or reid (train persons; query/gallery of the others)', 'random')
    .option('--seed <n>', 'seed of the shuffle', '0')
    .option('--test <fraction>', 'random: share of each class in test', '0.2')
    .option('--val <fraction>', 'random: share of each class in val', '0')
    .option('--no-stratify', 'random: draw over all samples, not per class')
    .option('--train-persons <fraction>', 'reid: share of the persons whose images all go to train', '0.5')
    .action(async (id: string, opts: { name: string; method: string; seed: string; test: string; val: string; stratify: boolean; trainPersons: string }) => {
      const rt = await runtime();
      const common = { datasetId: await datasetRef(rt, '<dataset>', id), name: opts.name, seed: Number(opts.seed) };
      const req =
        opts.method === 'reid'
          ? { ...common, method: 'reid' as const, trainPersons: Number(opts.trainPersons) }
          : { ...common, method: opts.method as 'random', test: Number(opts.test), val: Number(opts.val), stratify: opts.stratify };
      const split = await rt.call('datasets.splits.create', req);
      rt.output(split, () => [`Split "${split.name}" of dataset ${id}: ${partsText(split.counts)}.`, ...(split.classesWithout ?? []).map((w) => `note: ${classesWithoutText(w)}`)].join('\n'));
    });

  datasets
    .command('splits')
    .argument('<dataset>', 'dataset id or name')
    .description('The splits of a dataset (the imported one and the named ones) with samples per part')
    .action(async (id: string) => {
      const rt = await runtime();
      const splits = await rt.call('datasets.splits.list', { id: await datasetRef(rt, '<dataset>', id) });
      rt.output(splits, () =>
        formatTable(
          ['split', 'method', 'parts', 'made'],
          splits.map((sp) => [sp.name, sp.method, partsText(sp.counts), sp.createdAt ?? '(import)']),
        ),
      );
    });

  datasets
    .command('split-remove')
    .argument('<dataset>', 'dataset id or name')
    .argument('<name>', 'name of the split')
    .description('Forget a named split (runs that used it keep their results)')
    .action(async (id: string, name: string) => {
      const rt = await runtime();
      const r = await rt.call('datasets.splits.remove', { id: await datasetRef(rt, '<dataset>', id), name });
      rt.output(r, () => `Split "${name}" of dataset ${id} removed.`);
    });
};
