import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import type { localizeCalls, LocalizeEvalResult, LocalizeEvalSummary, LocalizeImage, LocalizeMapsResult, LocalizeMapView, LocalizePerClass } from '../common/contract/localize.ts';
import type { HandlerMap } from '../core/handler-types.ts';
import type { Workspace } from '../core/workspace.ts';
import { ApiError } from '../common/contract/errors.ts';
import { jobResult, jobRow } from '../core/jobs/job-store.ts';
import { jobKinds } from '../common/contract/kinds.ts';
import { iou, largestComponentBox, type Box } from './boxes.ts';

/** Files an evaluation writes into `<dir>`: per-image records and the GT-class maps (uint8, image resolution). */
export const EVAL_IMAGES = 'images.json';
export const EVAL_MAPS = 'maps.u8';
/** Files a maps job writes into `<job>/maps/` beside the PNGs: the index, the maps (0-255, each image at its size) and SPG's stage masks (3 per image). */
export const MAPS_INDEX = 'maps.json';
export const MAPS_U8 = 'maps.u8';
export const STAGES_U8 = 'stages.u8';

/** `length` bytes of a file from `position` (one image of a maps job, without reading the others). */
function readRange(file: string, position: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const fd = openSync(file, 'r');
  try {
    let done = 0;
    while (done < length) {
      const got = readSync(fd, out, done, length - done, position + done);
      if (got === 0) throw new Error(`${file} ends before byte ${position + length}.`);
      done += got;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** One sample of a finished maps job, its box recomputed at `threshold` (the job's when absent). */
function mapView(ws: Workspace, jobId: number, sampleId: number, threshold: number | undefined): LocalizeMapView {
  const job = jobRow(ws.db, jobId);
  const r = job && job.kind === jobKinds.localizeMaps && job.status === 'succeeded' ? jobResult<LocalizeMapsResult>(ws.db, jobId) : null;
  if (!r) throw new ApiError('not_found', `jobId: job ${jobId} is not a finished localize.maps job.`, 'jobId');
  const item = r.items.find((i) => i.sampleId === sampleId);
  if (!item) throw new ApiError('not_found', `sampleId: sample ${sampleId} is not one of job ${jobId}'s (${r.items.length} samples).`, 'sampleId');
  const dir = ws.resolve(r.dir);
  const n = item.width * item.height;
  const bytes = readRange(path.join(dir, MAPS_U8), item.offset, n);
  const t = threshold ?? r.threshold;
  // The job's own box at its threshold (from the float map); another threshold reads the stored 0-255 map.
  const box = threshold === undefined || threshold === r.threshold ? item.box : largestComponentBox({ values: Float32Array.from(bytes, (v) => v / 255), width: item.width, height: item.height }, t);
  const gtBoxes = item.gtBoxes.map((g) => ({ box: g.box, iou: iou(box as Box, g.box) }));
  let stages: LocalizeMapView['stages'] = null;
  if (r.stages) {
    const s = readRange(path.join(dir, STAGES_U8), 3 * item.offset, 3 * n);
    stages = r.stages.map((cfg, k) => ({ stage: k + 1, high: cfg.high, low: cfg.low, mask: [...s.subarray(k * n, (k + 1) * n)] }));
  }
  return {
    jobId,
    modelId: r.modelId,
    method: r.method,
    width: item.width,
    height: item.height,
    threshold: t,
    item: { ...item, box, gtBoxes, iou: gtBoxes.reduce((m, g) => Math.max(m, g.iou), 0) },
    values: [...bytes],
    stages,
  };
}

interface EvalRow {
  job_id: number;
  model_id: number;
  created_at: string;
  model_name: string | null;
}

function evalResult(ws: Workspace, evalJobId: number): LocalizeEvalResult {
  const a = ws.db.prepare("SELECT job_id FROM artifacts WHERE kind = 'localize-eval' AND job_id = ?").get(evalJobId);
  const r = a ? jobResult<LocalizeEvalResult>(ws.db, evalJobId) : null;
  if (!r) throw new ApiError('not_found', `evalJobId: job ${evalJobId} is not a finished localization evaluation.`, 'evalJobId');
  return r;
}

const imageCache = new Map<string, LocalizeImage[]>();
function evalImages(ws: Workspace, r: LocalizeEvalResult): LocalizeImage[] {
  const file = path.join(ws.resolve(r.dir), EVAL_IMAGES);
  let items = imageCache.get(file);
  if (!items) {
    items = JSON.parse(readFileSync(file, 'utf8')) as LocalizeImage[];
    imageCache.set(file, items);
  }
  return items;
}

export const localizeHandlers: HandlerMap<keyof typeof localizeCalls> = {
  'localize.maps': async ({ backend, runOn, ...params }, ctx) => {
    await ctx.jobs.checkRunOn(runOn);
    return ctx.jobs.submit(jobKinds.localizeMaps, params, { backend, runOn });
  },
  'localize.mapView': (req, { ws }) => mapView(ws, req.jobId, req.sampleId, req.threshold),
  'localize.evals': (req, { ws }) => {
    const rows = ws.db
      .prepare(
        `SELECT a.job_id, a.model_id, a.created_at, m.name AS model_name FROM artifacts a LEFT JOIN models m ON m.id = a.model_id
         WHERE a.kind = 'localize-eval' ${req.modelId !== undefined ? 'AND a.model_id = ?' : ''} ORDER BY a.job_id DESC`,
      )
      .all(...(req.modelId !== undefined ? [req.modelId] : [])) as EvalRow[];
    return rows.flatMap((row): LocalizeEvalSummary[] => {
      const r = jobResult<LocalizeEvalResult>(ws.db, row.job_id);
      if (!r) return [];
      const { dir: _dir, ...rest } = r;
      return [{ ...rest, evalJobId: row.job_id, modelName: row.model_name ?? `model ${row.model_id}`, createdAt: row.created_at }];
    });
  },
  'localize.images': (req, { ws }) => {
    const r = evalResult(ws, req.evalJobId);
    const all = evalImages(ws, r);
    let items = all;
    if (req.filter === 'correct') items = items.filter((i) => i.predicted === i.label && i.iou >= 0.5);
    if (req.filter === 'wrongClass') items = items.filter((i) => i.predicted !== i.label);
    if (req.filter === 'wrongBox') items = items.filter((i) => i.iou < 0.5);
    if (req.label !== undefined) items = items.filter((i) => i.label === req.label);
    if (req.order === 'worstIou') items = [...items].sort((a, b) => a.iou - b.iou || a.index - b.index);
    const meta = ws.db.prepare('SELECT info FROM datasets WHERE id = ?').get(r.datasetId) as { info: string } | undefined;
    const size = meta ? (JSON.parse(meta.info) as { imageSize?: { width: number; height: number } | null }).imageSize : null;
    const first = readMapSize(ws, r);
    return { total: items.length, width: size?.width ?? first.width, height: size?.height ?? first.height, items: items.slice(req.offset, req.offset + req.limit), perClass: perClass(ws, r.datasetId, all) };
  },
  'localize.map': (req, { ws }) => {
    const r = evalResult(ws, req.evalJobId);
    const { width, height } = readMapSize(ws, r);
    const bytes = readFileSync(path.join(ws.resolve(r.dir), EVAL_MAPS));
    const n = width * height;
    if ((req.index + 1) * n > bytes.length) throw new ApiError('not_found', `index: evaluation ${req.evalJobId} has ${bytes.length / n} images.`, 'index');
    return { width, height, values: [...bytes.subarray(req.index * n, (req.index + 1) * n)] };
  },
};

/** Accuracies per class over every evaluated image of it, classes in index order with the dataset's names. */
function perClass(ws: Workspace, datasetId: number, items: readonly LocalizeImage[]): LocalizePerClass[] {
  const names = new Map((ws.db.prepare('SELECT idx, name FROM classes WHERE dataset_id = ?').all(datasetId) as { idx: number; name: string }[]).map((c) => [c.idx, c.name]));
  const sums = new Map<number, { images: number; cls: number; box: number; both: number }>();
  for (const i of items) {
    const s = sums.get(i.label) ?? { images: 0, cls: 0, box: 0, both: 0 };
    const cls = i.predicted === i.label;
    const box = i.iou >= 0.5;
    sums.set(i.label, { images: s.images + 1, cls: s.cls + Number(cls), box: s.box + Number(box), both: s.both + Number(cls && box) });
  }
  return [...sums]
    .sort(([a], [b]) => a - b)
    .map(([label, s]) => ({ label, name: names.get(label) ?? null, images: s.images, top1Cls: s.cls / s.images, gtKnownLoc: s.box / s.images, top1Loc: s.both / s.images }));
}

function readMapSize(ws: Workspace, r: LocalizeEvalResult): { width: number; height: number } {
  const s = JSON.parse(readFileSync(path.join(ws.resolve(r.dir), 'maps.json'), 'utf8')) as { width: number; height: number };
  return s;
}
