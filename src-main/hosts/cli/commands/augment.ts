import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readJsonFile } from '../json-file.ts';
import { datasetRef } from '../refs.ts';
import path from 'node:path';
import type { RegisterCommands } from '../cli-types.ts';
import type { PipelineRecord, PipelineSpecInput } from '../../../common/contract/augment.ts';

/**
 * `--pipeline` names a JSON file, or a pipeline saved on the preview page by id or
 * name, so the command reproduces exactly what the page showed.
 */
async function resolvePipeline(value: string, getSaved: (q: { id: number } | { name: string }) => Promise<PipelineRecord>): Promise<PipelineSpecInput | { id: number }> {
  if (existsSync(value)) return readPipeline(value);
  if (/^\d+$/.test(value)) return { id: Number(value) };
  if (/\.json$/i.test(value) || value.includes('/') || value.includes(path.sep)) return readPipeline(value);
  return { id: (await getSaved({ name: value })).id };
}

function readPipeline(file: string): PipelineSpecInput {
  const raw = readJsonFile('pipeline', file);
  // A bare list of steps is accepted as shorthand for { steps: [...] }.
  return (Array.isArray(raw) ? { steps: raw } : raw) as PipelineSpecInput;
}

function pngBytes(dataUrl: string): Buffer {
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
}

/** `workbench augment ...` commands. */
export const registerAugmentCommands: RegisterCommands = (program, runtime) => {
  const augment = program.command('augment').description('Augmentation pipelines');

  augment
    .command('transforms')
    .description('List the transforms and their options')
    .action(async () => {
      const rt = await runtime();
      const list = await rt.call('augment.transforms', {});
      rt.output(list, () =>
        list
          .map((t) => `${t.name} — ${t.summary}\n${t.params.map((p) => `    ${p.name} (${p.kind}, default ${JSON.stringify(p.default)}): ${p.description}`).join('\n')}`)
          .join('\n'),
      );
    });

  augment
    .command('pipelines')
    .description('Saved pipelines (from the preview page), with their steps')
    .action(async () => {
      const rt = await runtime();
      const list = await rt.call('augment.pipelines.list', {});
      rt.output(list, () =>
        list.length === 0
          ? 'No saved pipelines yet (save one on the Augmentations page).'
          : list.map((p) => `${p.id}  ${p.name}: ${p.spec.steps.map((st) => st.transform).join(' -> ')}`).join('\n'),
      );
    });

  augment
    .command('preview')
    .requiredOption('--dataset <id|name>', 'dataset')
    .requiredOption('--pipeline <file|id|name>', 'pipeline JSON file ({"steps": [...]} or a list of steps), or the id or name of a saved pipeline')
    .option('--seed <n>', 'run seed', '0')
    .option('--image-seed <n>', 'seed of the random choice of images (default: --seed); keep it and change --seed to re-draw the parameters on the same images')
    .option('--epoch <n>', 'epoch whose draws to show', '0')
    .option('--count <k>', 'number of samples', '8')
    .option('--samples <ids>', 'comma-separated sample ids (what the preview page shows after a re-roll); overrides --count')
    .option('--split <name>', "split whose reader indices seed the draws (default: 'train' when present)")
    .requiredOption('--out <dir>', 'folder for the PNGs and params.json')
    .description('Write original and augmented images (PNG) and the drawn parameters (JSON): the pixels the preview page shows')
    .action(async (opts: { dataset: string; pipeline: string; seed: string; imageSeed?: string; epoch: string; count: string; samples?: string; split?: string; out: string }) => {
      const rt = await runtime();
      const result = await rt.call('augment.preview', {
        datasetId: await datasetRef(rt, '--dataset', opts.dataset),
        pipeline: await resolvePipeline(opts.pipeline, (q) => rt.call('augment.pipelines.get', q)),
        seed: Number(opts.seed),
        ...(opts.imageSeed !== undefined ? { imageSeed: Number(opts.imageSeed) } : {}),
        epoch: Number(opts.epoch),
        ...(opts.samples ? { sampleIds: opts.samples.split(',').map((id) => Number(id.trim())) } : { count: Number(opts.count) }),
        ...(opts.split ? { split: opts.split } : {}),
      });
      mkdirSync(opts.out, { recursive: true });
      const files: { sampleId: number; original: string; augmented: string }[] = [];
      result.items.forEach((item, k) => {
        const stem = `${String(k).padStart(3, '0')}-sample${item.sampleId}`;
        const original = path.join(opts.out, `${stem}-original.png`);
        const augmented = path.join(opts.out, `${stem}-augmented.png`);
        writeFileSync(original, pngBytes(item.original));
        writeFileSync(augmented, pngBytes(item.augmented));
        files.push({ sampleId: item.sampleId, original, augmented });
      });
      const params = { ...result, items: result.items.map(({ original: _o, augmented: _a, ...rest }) => rest) };
      writeFileSync(path.join(opts.out, 'params.json'), JSON.stringify(params, null, 2));
      rt.output({ out: opts.out, files, params: params.items.map((i) => i.params) }, () =>
        [`Wrote ${files.length} original/augmented pairs and params.json to ${opts.out}`, ...params.items.map((i) => `  sample ${i.sampleId}: ${JSON.stringify(i.params.steps.map((s) => [s.transform, s.params]))}`)].join('\n'),
      );
    });
};
