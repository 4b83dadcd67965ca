import { jobKinds } from '../common/contract/kinds.ts';
import type { AnyJobSpec } from '../core/jobs/spec.ts';
import { defineJob } from '../core/jobs/spec.ts';
import { ApiError } from '../common/contract/errors.ts';
import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { localizeGenerateSchema, localizeTrainSchema, localizeEvalSchema, localizeMapsSchema } from '../common/contract/localize.ts';
import type { LocalizeGenerateParams, LocalizeTrainParams, LocalizeEvalParams, LocalizeEvalResult, LocalizeMapsParams, LocalizeMapsResult } from '../common/contract/localize.ts';
import type { Workspace } from '../core/workspace.ts';
import { insertArtifact } from '../core/artifacts.ts';
import { recordSavedModel } from '../models/model-rows.ts';
import { buildSpec } from '../models/specs.ts';
import { inferShapes } from '../nn/graph.ts';
import { localizationSpec, SPG_BRANCHES, CAM_MAPS } from './head.ts';
import type { LocalizeTrainResult } from './train-runner.ts';
import { datasetFacts } from '../datasets/checks.ts';
import type { GenerateResult } from './generate-runner.ts';
import { commitGenerated } from './generate-store.ts';

/** Job kinds of this domain. Spec files import no TF.js: runners load lazily in the job process. */

export const localizeGenerateJob = defineJob<LocalizeGenerateParams, GenerateResult>({
  kind: jobKinds.localizeGenerate,
  params: localizeGenerateSchema,
  title: (p) => `Generate a ${p.recipe} localization set from dataset ${p.objectDatasetId}`,
  resource: 'io',
  resumable: false,
  preflight(p, ws) {
    const facts = datasetFacts(ws.db, p.objectDatasetId, 'objectDatasetId');
    const labeled = (ws.db.prepare('SELECT COUNT(*) AS n FROM samples WHERE dataset_id = ? AND label IS NOT NULL AND label >= 0').get(p.objectDatasetId) as { n: number }).n;
    const wanted = p.train + p.val + p.test;
    if (labeled < wanted) throw new ApiError('invalid_request', `objectDatasetId: dataset ${facts.id} "${facts.name}" has ${labeled} labeled images; train + val + test asks for ${wanted}.`, 'objectDatasetId');
    if (p.recipe === 'textured') {
      if (p.backgroundDatasetId === undefined) throw new ApiError('invalid_request', 'backgroundDatasetId: the textured recipe needs a background dataset (e.g. CIFAR-10); or choose the cluttered recipe.', 'backgroundDatasetId');
      datasetFacts(ws.db, p.backgroundDatasetId, 'backgroundDatasetId');
    }
  },
  load: () => import('./generate-runner.ts'),
  onComplete(ctx, r) {
    commitGenerated(ctx.ws, ctx.jobId, r);
  },
});

/** Image size the train job will use: the request's, else the dataset's common size (null when the images differ). */
function trainImageSize(ws: Parameters<NonNullable<typeof localizeGenerateJob.preflight>>[1], p: LocalizeTrainParams): [number, number] | null {
  if (p.imageSize) return p.imageSize;
  const sizes = ws.db.prepare('SELECT DISTINCT width, height FROM samples WHERE dataset_id = ? LIMIT 2').all(p.datasetId) as { width: number | null; height: number | null }[];
  return sizes.length === 1 && sizes[0]!.width && sizes[0]!.height ? [sizes[0]!.height, sizes[0]!.width] : null;
}

export const localizeTrainJob = defineJob<LocalizeTrainParams, LocalizeTrainResult>({
  kind: jobKinds.localizeTrain,
  changes: ['models'],
  params: localizeTrainSchema,
  title: (p) => `${p.method.toUpperCase()} ${p.arch} on dataset ${p.datasetId}`,
  resource: 'compute',
  resumable: true,
  preflight(p, ws) {
    const facts = datasetFacts(ws.db, p.datasetId, 'datasetId');
    const classes = (ws.db.prepare('SELECT COUNT(DISTINCT label) AS n FROM samples WHERE dataset_id = ? AND label >= 0').get(p.datasetId) as { n: number }).n;
    if (classes < 2) throw new ApiError('invalid_request', `datasetId: dataset ${facts.id} "${facts.name}" has ${classes} labeled class; localization from image labels needs at least 2.`, 'datasetId');
    if (p.method === 'spg' && p.spg.startEpoch > p.epochs) {
      throw new ApiError('invalid_request', `spg.startEpoch: the guidance would start at epoch ${p.spg.startEpoch}, after the last epoch (${p.epochs}).`, 'spg.startEpoch');
    }
    const size = trainImageSize(ws, p);
    if (!size) throw new ApiError('invalid_request', `imageSize: the images of dataset ${facts.id} differ in size; give imageSize [height, width].`, 'imageSize');
    // The head must fit the backbone: build the spec (no weights) and check the class maps are at least 2x2.
    let spec;
    try {
      const backbone = buildSpec(p.arch, { inputSize: size, numClasses: Math.max(classes, 2), channels: 1, widthMultiplier: p.widthMultiplier });
      spec = localizationSpec(backbone, p.method === 'spg' ? SPG_BRANCHES : [], p.spg.branchChannels).spec;
    } catch (err) {
      throw new ApiError('invalid_request', `arch: ${(err as Error).message}`, 'arch');
    }
    const [mh, mw] = inferShapes(spec).get(CAM_MAPS)!; // [h, w, classes]
    if (Math.min(mh!, mw!) < 2) {
      throw new ApiError('invalid_request', `imageSize: ${size.join('x')} images give ${p.arch} a ${mh}x${mw} class map; localization needs at least 2x2 (use larger images or a CIFAR ResNet).`, 'imageSize');
    }
    if (p.initFromModelId !== undefined) {
      const init = ws.db.prepare('SELECT arch FROM models WHERE id = ?').get(p.initFromModelId) as { arch: string } | undefined;
      if (!init) throw new ApiError('not_found', `initFromModelId: model ${p.initFromModelId} does not exist.`, 'initFromModelId');
      if (init.arch !== p.arch) throw new ApiError('invalid_request', `initFromModelId: model ${p.initFromModelId} is a ${init.arch}, the job trains a ${p.arch}.`, 'initFromModelId');
    }
  },
  load: () => import('./train-runner.ts'),
  onComplete(ctx, r) {
    recordSavedModel(ctx.ws, ctx.jobId, {
      name: r.name,
      arch: r.arch,
      dir: r.modelDir,
      datasetId: r.datasetId,
      parentModelId: r.initFromModelId,
      method: r.method,
      metrics: { localize: true, numClasses: r.numClasses, classNames: r.classNames, imageSize: r.imageSize, channels: r.channels, trainLoss: r.finalLoss, trainAccuracy: r.finalAccuracy, epochs: r.epochs },
      files: [{ path: path.join(r.modelDir, 'weights.bin'), meta: { method: r.method } }],
    });
  },
});

/** Refuses a model that does not exist or is not a CAM / SPG model, naming `field`. */
function requireLocalizationModel(ws: Workspace, modelId: number, field = 'modelId'): void {
  const model = ws.db.prepare('SELECT method FROM models WHERE id = ?').get(modelId) as { method: string | null } | undefined;
  if (!model) throw new ApiError('not_found', `${field}: model ${modelId} does not exist.`, field);
  if (model.method !== 'cam' && model.method !== 'spg') throw new ApiError('invalid_request', `${field}: model ${modelId} is not a localization model (method ${model.method ?? 'none'}); train one with localize.train.`, field);
}

export const localizeMapsJob = defineJob<LocalizeMapsParams, LocalizeMapsResult>({
  kind: jobKinds.localizeMaps,
  params: localizeMapsSchema,
  title: (p) => `Localization maps of model ${p.modelId} on dataset ${p.datasetId} (${p.sampleIds ? `${p.sampleIds.length} samples` : `first ${p.limit}${p.split ? ` of '${p.split}'` : ''}`})`,
  resource: 'compute',
  resumable: false,
  preflight(p, ws) {
    requireLocalizationModel(ws, p.modelId);
    const facts = datasetFacts(ws.db, p.datasetId, 'datasetId');
    if (p.sampleIds) {
      if (p.split !== undefined) throw new ApiError('invalid_request', 'split: give either sampleIds or split (with limit), not both.', 'split');
      const marks = p.sampleIds.map(() => '?').join(',');
      const found = new Set((ws.db.prepare(`SELECT id FROM samples WHERE dataset_id = ? AND id IN (${marks})`).all(p.datasetId, ...p.sampleIds) as { id: number }[]).map((r) => r.id));
      const missing = [...new Set(p.sampleIds.filter((id) => !found.has(id)))];
      if (missing.length > 0) {
        const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ` and ${missing.length - 10} more` : '');
        throw new ApiError('not_found', `sampleIds: ${shown} ${missing.length === 1 ? 'is not a sample' : 'are not samples'} of dataset ${facts.id} "${facts.name}".`, 'sampleIds');
      }
    } else if (p.split !== undefined) {
      const n = (ws.db.prepare('SELECT COUNT(*) AS n FROM samples WHERE dataset_id = ? AND split = ?').get(p.datasetId, p.split) as { n: number }).n;
      if (n === 0) throw new ApiError('invalid_request', `split: dataset ${facts.id} "${facts.name}" has no samples in split '${p.split}'.`, 'split');
    }
    if (p.outDir !== undefined && !path.isAbsolute(p.outDir)) throw new ApiError('invalid_request', `outDir: must be an absolute path, got "${p.outDir}".`, 'outDir');
    if (p.outDir !== undefined && existsSync(p.outDir) && !statSync(p.outDir).isDirectory()) throw new ApiError('invalid_request', `outDir: ${p.outDir} is a file, not a folder.`, 'outDir');
  },
  load: () => import('./maps-runner.ts'),
});

export const localizeEvalJob = defineJob<LocalizeEvalParams, LocalizeEvalResult>({
  kind: jobKinds.localizeEval,
  changes: ['models'],
  params: localizeEvalSchema,
  title: (p) => `Localization eval of model ${p.modelId} on dataset ${p.datasetId} (${p.split})`,
  resource: 'compute',
  resumable: false,
  preflight(p, ws) {
    requireLocalizationModel(ws, p.modelId);
    const facts = datasetFacts(ws.db, p.datasetId, 'datasetId');
    const boxed = (split: string): number =>
      (ws.db.prepare("SELECT COUNT(*) AS n FROM samples WHERE dataset_id = ? AND split = ? AND boxes IS NOT NULL AND boxes != '[]'").get(p.datasetId, split) as { n: number }).n;
    if (boxed(p.split) === 0) throw new ApiError('invalid_request', `datasetId: dataset ${facts.id} "${facts.name}" has no images with boxes in split '${p.split}'; box evaluation needs ground-truth boxes.`, 'datasetId');
    if (p.selectSplit !== null && p.selectSplit !== p.split && boxed(p.selectSplit) === 0) {
      throw new ApiError('invalid_request', `selectSplit: dataset ${facts.id} has no images with boxes in split '${p.selectSplit}' to choose MaxBoxAccV2's thresholds on; pass selectSplit null to choose them on '${p.split}' (optimistic).`, 'selectSplit');
    }
  },
  load: () => import('./eval-runner.ts'),
  onComplete(ctx, r) {
    insertArtifact(ctx.ws, {
      kind: 'localize-eval',
      absPath: ctx.ws.resolve(path.join(r.dir, 'images.json')),
      jobId: ctx.jobId,
      modelId: r.modelId,
      datasetId: r.datasetId,
      meta: { split: r.split, selectSplit: r.selectSplit, gtKnownLoc: r.rows[0]!.gtKnownLoc, top1Loc: r.rows[0]!.top1Loc, maxBoxAccV2: r.rows[0]!.maxBoxAccV2 },
    });
    ctx.ws.db
      .prepare("UPDATE models SET metrics = json_set(metrics, '$.lastLocalizeEval', json(?)) WHERE id = ?")
      .run(JSON.stringify({ evalJobId: ctx.jobId, datasetId: r.datasetId, split: r.split, ...r.rows[0] }), r.modelId);
  },
});

export const localizeJobSpecs: AnyJobSpec[] = [localizeGenerateJob, localizeTrainJob, localizeEvalJob, localizeMapsJob];
