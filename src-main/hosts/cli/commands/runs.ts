import type { RunPredictions, TrainingRunRow } from '../../../common/contract/index.ts';
import type { RegisterCommands } from '../cli-types.ts';
import { formatTable, pct } from '../format.ts';
import { configDiff } from '../../../common/config-diff.ts';


function duration(s: number | null): string {
  if (s === null) return '-';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function runsTable(runs: TrainingRunRow[]): string {
  if (runs.length === 0) return 'No training runs yet.';
  return formatTable(
    ['name', 'id', 'dataset', 'model', 'method', 'rate', 'best', 'final', 'duration', 'status', 'tags', 'notes'],
    runs.map((r) => [
      r.name,
      r.jobIds.length > 1 ? `${r.jobId} (${r.jobIds.join('→')})` : String(r.jobId),
      r.dataset,
      r.model,
      r.method,
      pct(r.pruneRate, 0),
      pct(r.bestAccuracy, 2),
      pct(r.finalAccuracy, 2),
      duration(r.seconds),
      r.status,
      r.tags.join(', '),
      r.notes.split('\n')[0]!.slice(0, 40),
    ]),
  );
}

/** A run's test results as text: the confusion matrix with per-class accuracy and precision, then the most confident mistakes. */
function resultsText(p: RunPredictions): string {
  const wrong = p.count - p.confusion.reduce((a, row, i) => a + row[i]!, 0);
  const head = `Run ${p.jobId}${p.fromJobId !== p.jobId ? ` (predictions of job ${p.fromJobId})` : ''}: ${p.evaluatedOn} results on ${p.part}, ${p.count} images, ${pct(p.accuracy, 2)} correct, ${wrong} misclassified.`;
  const matrix = formatTable(
    ['true \\ predicted', ...p.classNames, 'accuracy', 'precision'],
    p.confusion.map((row, t) => [p.classNames[t]!, ...row.map(String), pct(p.classes[t]!.recall, 2), pct(p.classes[t]!.precision, 2)]),
  );
  const items = p.misclassified.items;
  const list = items.length
    ? formatTable(['sample', 'path', 'true', 'predicted', 'confidence'], items.map((m) => [String(m.sampleId), m.path ?? '-', p.classNames[m.trueLabel]!, p.classNames[m.predictedLabel]!, pct(m.confidence, 2)]))
    : 'No misclassified images.';
  const more = p.misclassified.total > items.length ? `\n(${items.length} of ${p.misclassified.total} misclassified shown, most confident first; --limit for more)` : '';
  return `${head}\n\n${matrix}\n\n${list}${more}`;
}

function parseId(value: string): number {
  const id = Number(value);
  if (!Number.isInteger(id) || id <= 0) throw new Error(`"${value}" is not a job id (a positive integer).`);
  return id;
}

/** `workbench runs ...`: training runs as an experiment log (list, tags, notes). */
export const registerRunsCommands: RegisterCommands = (program, runtime) => {
  const runs = program.command('runs').description('Training runs as an experiment log: list them, tag them, note on them.');
  runs
    .command('list')
    .description('Training runs, newest first, one row per run across its resumes.')
    .option('--tag <tag>', 'only runs with this tag')
    .option('--status <status>', 'only runs in this state')
    .action(async (opts: { tag?: string; status?: string }) => {
      const rt = await runtime();
      const list = (await rt.call('train.runs', {})).filter((r) => (!opts.tag || r.tags.includes(opts.tag)) && (!opts.status || r.status === opts.status));
      rt.output(list, () => runsTable(list));
    });
  runs
    .command('diff <ids...>')
    .description('The config fields in which two or more runs differ, as dotted paths, with each run\'s value.')
    .action(async (ids: string[]) => {
      if (ids.length < 2) throw new Error('diff needs two or more run ids.');
      const rt = await runtime();
      const runs = await Promise.all(ids.map((id) => rt.call('train.get', { jobId: parseId(id) })));
      const diff = configDiff(runs.map((r) => r.config));
      const show = (v: unknown) => (v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v));
      rt.output(diff, () => (diff.length ? formatTable(['field', ...ids.map((id) => `#${id}`)], diff.map((d) => [d.path, ...d.values.map(show)])) : 'The configs are the same.'));
    });
  runs
    .command('results <id>')
    .description("A finished run's test results (validation when it has no test split): confusion matrix, per-class accuracy and precision, the misclassified images most confident first.")
    .option('--limit <n>', 'misclassified images listed', '10')
    .action(async (id: string, opts: { limit: string }) => {
      const rt = await runtime();
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error(`--limit: "${opts.limit}" is not a count from 1 to 1000.`);
      const p = await rt.call('train.predictions', { jobId: parseId(id), limit });
      rt.output(p, () => resultsText(p));
    });
  runs
    .command('tag <id> [tags...]')
    .description("Add tags to a run (any of its jobs' ids); with --remove, take them off; with no tags, print them.")
    .option('--remove', 'remove the tags given instead of adding them')
    .action(async (id: string, tags: string[], opts: { remove?: boolean }) => {
      const rt = await runtime();
      const jobId = parseId(id);
      const current = await rt.call('jobs.annotate', { id: jobId });
      const given = tags.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
      const next = opts.remove ? current.tags.filter((t) => !given.includes(t)) : [...current.tags, ...given.filter((t) => !current.tags.includes(t))];
      const stored = given.length ? await rt.call('jobs.annotate', { id: jobId, tags: next }) : current;
      rt.output(stored, () => `Run ${stored.id}: ${stored.tags.length ? stored.tags.join(', ') : 'no tags'}`);
    });
  runs
    .command('note <id> [text...]')
    .description("Set a run's notes (the words given, joined by spaces); with no text, print them.")
    .option('--clear', 'remove the notes')
    .action(async (id: string, text: string[], opts: { clear?: boolean }) => {
      const rt = await runtime();
      const jobId = parseId(id);
      const notes = opts.clear ? '' : text.length ? text.join(' ') : undefined;
      const stored = await rt.call('jobs.annotate', { id: jobId, ...(notes !== undefined ? { notes } : {}) });
      rt.output(stored, () => stored.notes || `Run ${stored.id} has no notes.`);
    });
};
