import { jobKinds } from '../../../common/contract/kinds.ts';
import type { RegisterCommands } from '../cli-types.ts';
import path from 'node:path';
import { ON_HELP, resolveOn } from '../job-options.ts';
import type { LocalizeEvalResult, LocalizeMapsResult, HeatmapColormap } from '../../../common/contract/localize.ts';
import { formatTable, pct } from '../format.ts';
import { readConfigFile } from './spgan.ts';
import { configReference } from '../config-reference.ts';
import { datasetRef, modelRef, positiveInt } from '../refs.ts';
import { applyLocalizeRecipe, localizeGenerateSchema, localizeTrainRecipeNames, localizeTrainSchema } from '../../../common/contract/localize.ts';

/** The --config file, or the reference of its fields under --help-config (then null: print and stop). */
function configOrReference(opts: { config?: string; helpConfig?: boolean }, command: string, title: string, schema: Parameters<typeof configReference>[1]): unknown {
  if (opts.helpConfig) {
    process.stdout.write(`${configReference(title, schema)}\n`);
    return null;
  }
  if (!opts.config) throw new Error(`required option '--config <file>' not specified (every field: workbench localize ${command} --help-config)`);
  return readConfigFile(opts.config);
}

/** '12,13,20' -> [12, 13, 20]. */
function idList(flag: string, value: string): number[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v) => positiveInt(flag, v));
}


/** `workbench localize ...` commands. */
export const registerLocalizeCommands: RegisterCommands = (program, runtime) => {
  const loc = program.command('localize').description('Weakly-supervised localization: generated sets, CAM / SPG training, box evaluation, heatmaps per image');

  loc
    .command('generate')
    .option('--config <file>', 'JSON config: objectDatasetId, backgroundDatasetId, recipe (textured/cluttered), canvas, train, val, test, seed ... (every field: --help-config)')
    .option('--help-config', 'print every config field with its type, limits and default, and exit')
    .option('--on <where>', ON_HELP)
    .description('Generate a localization set (objects pasted on a canvas, true boxes and masks) as a new dataset')
    .action(async (opts: { config?: string; helpConfig?: boolean; on?: string }) => {
      const config = configOrReference(opts, 'generate', 'The localize generate config (JSON).', localizeGenerateSchema);
      if (config === null) return;
      const rt = await runtime();
      const job = await rt.runJob(jobKinds.localizeGenerate, config, { on: opts.on });
      const ds = (await rt.call('datasets.list', {})).find((d) => d.jobId === job.id);
      rt.output({ jobId: job.id, datasetId: ds?.id ?? null, name: ds?.name ?? null, counts: ds?.counts ?? null }, () => `Dataset ${ds?.id ?? '?'} "${ds?.name ?? ''}": ${ds?.counts.samples ?? 0} images with boxes`);
    });

  // The same job as `localize generate`, where a lab looks for dataset tools: `workbench datasets generate cluttered --objects fashion-mnist`.
  const datasets = program.commands.find((c) => c.name() === 'datasets') ?? program.command('datasets').description('Import and inspect datasets');
  datasets
    .command('generate <recipe>')
    .requiredOption('--objects <id|name>', 'labeled dataset whose images are the objects (e.g. an imported Fashion-MNIST)')
    .option('--backgrounds <id|name>', 'dataset whose gray images are the backgrounds (textured recipe, e.g. CIFAR-10)')
    .option('--config <file>', 'JSON config for the other fields: canvas, scale, backgroundContrast, fragments, train, val, test, seed, name (every field: workbench localize generate --help-config)')
    .option('--on <where>', ON_HELP)
    .description('Generate a localization set by recipe (textured: objects on gray backgrounds; cluttered: on black with small fragments) with true boxes and masks')
    .action(async (recipe: string, opts: { objects: string; backgrounds?: string; config?: string; on?: string }) => {
      const recipes = localizeGenerateSchema.shape.recipe.unwrap().options;
      if (!(recipes as readonly string[]).includes(recipe)) throw new Error(`recipe: unknown recipe "${recipe}" (known: ${recipes.join(', ')}).`);
      const rest = opts.config ? (readConfigFile(opts.config) as Record<string, unknown>) : {};
      const rt = await runtime();
      const config = { ...rest, recipe, objectDatasetId: await datasetRef(rt, '--objects', opts.objects), ...(opts.backgrounds !== undefined ? { backgroundDatasetId: await datasetRef(rt, '--backgrounds', opts.backgrounds) } : {}) };
      const job = await rt.runJob(jobKinds.localizeGenerate, config, { on: opts.on });
      const ds = (await rt.call('datasets.list', {})).find((d) => d.jobId === job.id);
      rt.output({ jobId: job.id, datasetId: ds?.id ?? null, name: ds?.name ?? null, recipe, counts: ds?.counts ?? null }, () => `Dataset ${ds?.id ?? '?'} "${ds?.name ?? ''}": ${ds?.counts.samples ?? 0} images with boxes`);
    });

  loc
    .command('train')
    .option('--config <file>', 'JSON config: datasetId, arch, method (cam/spg), spg {stage1..3, minObjectPixels, weights}, epochs ... (every field: --help-config)')
    .option('--help-config', 'print every config field with its type, limits and default, and exit')
    .option('--recipe <name>', `start from a named recipe, the config's fields over it: ${localizeTrainRecipeNames.join(', ')}`)
    .option('--backend <name>', 'compute backend: auto, tensorflow, wasm, cpu')
    .option('--on <where>', ON_HELP)
    .description('Train a CAM or SPG localization model from image labels')
    .action(async (opts: { config?: string; helpConfig?: boolean; recipe?: string; backend?: string; on?: string }) => {
      const read = configOrReference(opts, 'train', 'The localize train config (JSON).', localizeTrainSchema);
      if (read === null) return;
      const config = opts.recipe !== undefined ? applyLocalizeRecipe(opts.recipe, read as Record<string, unknown>) : read;
      const rt = await runtime();
      const job = await rt.runJob(jobKinds.localizeTrain, config, { backend: opts.backend, on: opts.on });
      const model = (await rt.call('models.list', {})).find((m) => m.jobId === job.id);
      const r = job.result as { finalLoss: number; finalAccuracy: number; method: string };
      rt.output({ jobId: job.id, modelId: model?.id ?? null, ...r }, () => `Model ${model?.id ?? '?'} "${model?.name ?? ''}" (${r.method}): loss ${r.finalLoss.toFixed(4)}, train accuracy ${pct(r.finalAccuracy)}`);
    });

  loc
    .command('eval')
    .requiredOption('--model <id|name>', 'localization model: id or unique name')
    .requiredOption('--dataset <id|name>', 'dataset with boxes: id or unique name')
    .option('--split <name>', 'split evaluated', 'test')
    .option('--select-split <name>', "held-out split MaxBoxAccV2 picks its thresholds on ('none': the evaluated split itself)", 'val')
    .option('--threshold <fraction>', 'fixed threshold of the CAM/SPG protocol', '0.2')
    .option('--backend <name>', 'compute backend: auto, tensorflow, wasm, cpu')
    .option('--on <where>', ON_HELP)
    .description('Top-1/Top-5/GT-known Loc at a fixed threshold and MaxBoxAccV2 (+PxAP), beside the no-learning baselines')
    .action(async (opts: { model: string; dataset: string; split: string; selectSplit: string; threshold: string; backend?: string; on?: string }) => {
      const threshold = Number(opts.threshold);
      if (!(threshold >= 0 && threshold <= 1)) throw new Error(`--threshold: expected a fraction 0..1, got '${opts.threshold}'.`);
      const rt = await runtime();
      const params = { modelId: await modelRef(rt, '--model', opts.model), datasetId: await datasetRef(rt, '--dataset', opts.dataset), split: opts.split, selectSplit: opts.selectSplit === 'none' ? null : opts.selectSplit, threshold };
      const job = await rt.runJob(jobKinds.localizeEval, params, { backend: opts.backend, on: opts.on });
      const r = job.result as LocalizeEvalResult;
      rt.output({ evalJobId: job.id, ...r }, () =>
        [
          `Eval ${job.id}: model ${r.modelId} on dataset ${r.datasetId} '${r.split}' (${r.images} images; MaxBoxAccV2 thresholds from '${r.selectSplit}')`,
          formatTable(['', 'Top-1 Cls', 'Top-1 Loc', 'Top-5 Loc', 'GT-known Loc', 'MaxBoxAccV2', 'PxAP'], r.rows.map((x) => [x.name, pct(x.top1Cls), pct(x.top1Loc), pct(x.top5Loc), pct(x.gtKnownLoc), pct(x.maxBoxAccV2), pct(x.pxap)])),
        ].join('\n'),
      );
    });

  loc
    .command('maps')
    .requiredOption('--model <id|name>', 'localization model (CAM or SPG): id or unique name')
    .requiredOption('--dataset <id|name>', 'dataset of the samples: id or unique name')
    .option('--samples <ids>', 'comma-separated sample ids (default: the first --limit samples)')
    .option('--limit <n>', 'without --samples: this many samples, in import order', '16')
    .option('--split <name>', 'without --samples: take them from this split')
    .requiredOption('--out <dir>', 'folder for <sampleId>.png and maps.json (created if needed)')
    .option('--threshold <fraction>', "predicted box: largest connected component above this fraction of the map's max", '0.2')
    .option('--colormap <name>', 'jet, viridis or gray', 'jet')
    .option('--blend <fraction>', 'weight of the heatmap over the image (1: the heatmap alone)', '1')
    .option('--backend <name>', 'compute backend: auto, tensorflow, wasm, cpu')
    .option('--on <where>', ON_HELP)
    .description("Heatmap PNG per sample (the predicted class's map over the image) and maps.json with the predicted class, the predicted box, the GT boxes and IoU")
    .action(async (opts: { model: string; dataset: string; samples?: string; limit: string; split?: string; out: string; threshold: string; colormap: string; blend: string; backend?: string; on?: string }) => {
      // Numbers go to the job's schema as given: an out-of-range threshold or blend is refused there, naming the field.
      const rt = await runtime();
      const params = {
        modelId: await modelRef(rt, '--model', opts.model),
        datasetId: await datasetRef(rt, '--dataset', opts.dataset),
        ...(opts.samples !== undefined ? { sampleIds: idList('--samples', opts.samples) } : { limit: positiveInt('--limit', opts.limit), ...(opts.split ? { split: opts.split } : {}) }),
        threshold: Number(opts.threshold),
        colormap: opts.colormap as HeatmapColormap,
        blend: Number(opts.blend),
        outDir: path.resolve(opts.out),
      };
      const submitted = await rt.call('localize.maps', { ...params, backend: opts.backend as 'auto' | undefined, runOn: await resolveOn(rt, opts.on) });
      rt.info(`Job ${submitted.id} (${submitted.title}) queued.`);
      const job = await rt.followJob(submitted.id);
      const r = job.result as LocalizeMapsResult;
      rt.output({ jobId: job.id, ...r }, () =>
        [
          `Maps ${job.id}: model ${r.modelId} (${r.method}) on dataset ${r.datasetId}, ${r.items.length} sample${r.items.length === 1 ? '' : 's'}, threshold ${r.threshold}; written to ${r.outDir}`,
          formatTable(
            ['sample', 'class', 'predicted', 'score', 'box', 'GT boxes', 'IoU', 'png'],
            r.items.map((it) => [String(it.sampleId), it.labelName ?? String(it.label), it.predictedName ?? String(it.predicted), pct(it.score), it.box.join(','), String(it.gtBoxes.length), it.iou.toFixed(2), it.png]),
          ),
        ].join('\n'),
      );
    });
};
