/**
 * Checks a train config against the workspace before the job is queued, so
 * bad configs are refused with a message naming the field instead of failing
 * minutes into a job. No TF.js here: this runs in the writer process.
 */
import type { Workspace } from '../core/workspace.ts';
import { ApiError } from '../common/contract/errors.ts';
import type { TrainConfig } from '../common/contract/train.ts';
import { stratifiedSplitName } from '../common/contract/datasets.ts';
import { parseInfo, type DatasetRow } from '../datasets/dataset-info.ts';
import { buildSpec } from '../models/specs.ts';
import { getModelRow } from '../models/model-rows.ts';
import { parseGraphSpec, type GraphSpec } from '../nn/graph.ts';
import { selectLayers } from '../prune/selection.ts';
import { partCounts } from '../datasets/splits.ts';
import { bnAfter } from '../prune/selection.ts';

function splits(s: string | string[]): string[] {
  return Array.isArray(s) ? s : [s];
}

/** Throws ApiError('invalid_request' | 'not_found', message, field) for the first problem found; returns the model spec the run will start from. */
export function preflightTrain(cfg: TrainConfig, ws: Workspace): GraphSpec {
  const db = ws.db;
  const ds = db.prepare('SELECT * FROM datasets WHERE id = ?').get(cfg.dataset.id) as DatasetRow | undefined;
  if (!ds) throw new ApiError('not_found', `dataset.id: dataset ${cfg.dataset.id} does not exist.`, 'dataset.id');
  const trainSplits = splits(cfg.dataset.trainSplit);
  const counts = partCounts(db, cfg.dataset.id, trainSplits, cfg.dataset.split);
  if (counts.n === 0) {
    const where = cfg.dataset.split ? `its split "${cfg.dataset.split}" has no part ${trainSplits.join(', ')}` : `it has no samples in split ${trainSplits.join(', ')}`;
    // The command in full, so a CLI user can paste it; the form offers the same split as one button.
    const name = stratifiedSplitName(0.1, 0.1, 0);
    throw new ApiError(
      'invalid_request',
      `dataset.trainSplit: dataset ${cfg.dataset.id} "${ds.name}": ${where}; make a split first (the button under the run form's Splits field, the dataset's Splits tab, or \`workbench datasets split ${cfg.dataset.id} --name ${name} --test 0.1 --val 0.1 --seed 0\`) and choose it as dataset.split ("split": "${name}" in the config's dataset).`,
      'dataset.trainSplit',
    );
  }
  if (counts.labelled === 0) throw new ApiError('invalid_request', `dataset.id: dataset ${cfg.dataset.id} "${ds.name}" has no class labels; training a classifier needs them.`, 'dataset.id');
  if (cfg.dataset.valSplit) {
    const val = partCounts(db, cfg.dataset.id, [cfg.dataset.valSplit], cfg.dataset.split);
    if (val.labelled === 0) {
      const where = cfg.dataset.split ? `split "${cfg.dataset.split}"` : 'the imported split';
      throw new ApiError('invalid_request', `dataset.valSplit: ${where} of dataset ${cfg.dataset.id} has no labelled samples in part "${cfg.dataset.valSplit}".`, 'dataset.valSplit');
    }
  }
  const classes = (db.prepare('SELECT COUNT(*) AS n FROM classes WHERE dataset_id = ?').get(cfg.dataset.id) as { n: number }).n;

  const info = parseInfo(ds.info);
  const native = info.blob ? { h: info.blob.h, w: info.blob.w, c: info.blob.c } : info.imageSize ? { h: info.imageSize.height, w: info.imageSize.width, c: info.imageSize.channels } : null;
  const size = cfg.dataset.inputSize ?? cfg.model?.options.inputSize ?? (native ? ([native.h, native.w] as [number, number]) : undefined);
  const channels = cfg.dataset.channels ?? (native ? (native.c === 1 ? 1 : 3) : 3);

  let spec: GraphSpec;
  if (cfg.model) {
    if (!size) throw new ApiError('invalid_request', `dataset.inputSize: dataset ${cfg.dataset.id} has images of different sizes; set dataset.inputSize.`, 'dataset.inputSize');
    try {
      spec = buildSpec(cfg.model.arch, { ...cfg.model.options, inputSize: size, channels, numClasses: Math.max(classes, 2) });
    } catch (err) {
      const field = cfg.dataset.inputSize ? 'dataset.inputSize' : 'model.options';
      throw new ApiError('invalid_request', `${field}: ${(err as Error).message}`, field);
    }
  } else {
    const row = getModelRow(db, cfg.parentModelId!, 'parentModelId');
    spec = parseGraphSpec(JSON.parse(row.spec));
    if (size && (size[0] !== spec.input.height || size[1] !== spec.input.width)) {
      throw new ApiError('invalid_request', `dataset.inputSize: model ${row.id} takes ${spec.input.height}x${spec.input.width} images, the data is ${size[0]}x${size[1]}; set dataset.inputSize.`, 'dataset.inputSize');
    }
    if (spec.input.channels !== channels) {
      throw new ApiError('invalid_request', `dataset.channels: model ${row.id} takes ${spec.input.channels}-channel images, the data has ${channels}; set dataset.channels.`, 'dataset.channels');
    }
    if (classes > 0 && spec.numClasses !== classes) {
      throw new ApiError('invalid_request', `parentModelId: model ${row.id} has ${spec.numClasses} classes, dataset ${cfg.dataset.id} has ${classes}.`, 'parentModelId');
    }
  }
  if (cfg.prune) {
    let layers: Map<string, number>;
    try {
      layers = selectLayers(spec, cfg.prune.rate, { ...(cfg.prune.roles ? { roles: cfg.prune.roles } : {}), ...(cfg.prune.layerRates ? { layerRates: cfg.prune.layerRates } : {}) });
    } catch (err) {
      throw new ApiError('invalid_request', `prune.layerRates: ${(err as Error).message}`, 'prune.layerRates');
    }
    if (cfg.prune.criterion === 'bn-scale') {
      const without = [...layers.keys()].find((conv) => !bnAfter(spec, conv));
      if (without) throw new ApiError('invalid_request', `prune.criterion: bn-scale needs a BatchNorm right after every pruned conv; "${without}" has none.`, 'prune.criterion');
    }
  }
  if (cfg.augment?.pipelineId !== undefined) {
    const p = db.prepare('SELECT 1 FROM pipelines WHERE id = ?').get(cfg.augment.pipelineId);
    if (!p) throw new ApiError('not_found', `augment.pipelineId: pipeline ${cfg.augment.pipelineId} does not exist.`, 'augment.pipelineId');
  }
  if (cfg.schedule.kind === 'step' && cfg.schedule.milestones.some((m) => m > cfg.epochs)) {
    throw new ApiError('invalid_request', `schedule.milestones: a milestone lies after the last epoch (${cfg.epochs}).`, 'schedule.milestones');
  }
  return spec;
}
