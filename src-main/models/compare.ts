/**
 * The comparison page's data: one query over the models table plus the
 * shared cost counter (src-main/prune/flops.ts). Runs in the
 * writer process; it reads weight files directly (no TF.js) to count the
 * filters soft pruning zeroed.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../common/contract/errors.ts';
import type { ComparedModel, LatencyRecord, LayerFilters, LineageStep, ModelComparison, ScatterPoint } from '../common/contract/models.ts';
import type { Workspace } from '../core/workspace.ts';
import { convNodes, parseGraphSpec, type GraphSpec } from '../nn/graph.ts';
import { countCost } from '../prune/flops.ts';
import { flopsReport } from './cost.ts';
import { lineageOf, type ModelRow } from './model-rows.ts';
import { jobRow } from '../core/jobs/job-store.ts';

type ModelDbRow = ModelRow;

/** Keys under which a training or evaluation job may have stored test accuracy, first found wins. */
const ACCURACY_KEYS = ['accuracy', 'testAccuracy', 'top1'] as const;

/** Accuracy as a fraction; values above 1 were stored as percentages. */
export function accuracyOf(metrics: Record<string, unknown>): number | null {
  for (const key of ACCURACY_KEYS) {
    const v = metrics[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v > 1 ? v / 100 : v;
  }
  return null;
}

function parseJson(text: string, what: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    throw new ApiError('failed', `${what} is not valid JSON.`);
  }
}

/** Bytes of the files in the model folder (model.json + weights.bin). */
function folderSize(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((a, e) => a + statSync(path.join(dir, e.name)).size, 0);
}

/**
 * Per conv: how many filters are entirely zero in the saved weights (soft
 * pruning zeroes whole filters). Reads the model file's manifest for offsets
 * and then only each conv kernel's bytes (positioned reads, one kernel in
 * memory at a time), so an ImageNet-sized weights file is never loaded whole
 * into the writer process; answers are cached per weights file (path, size,
 * mtime). An unreadable folder gives an empty map rather than failing the page.
 */
export function zeroFilterCounts(dir: string, spec: GraphSpec): Map<string, number> {
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weights: { name: string; offset: number }[]; weightsFile: string };
    const file = path.join(dir, manifest.weightsFile);
    const st = statSync(file);
    const key = `${file}\0${st.size}\0${st.mtimeMs}`;
    const cached = zeroCountCache.get(key);
    if (cached) return new Map(cached);
    const out = countZeroFilters(file, st.size, manifest.weights, spec);
    if (zeroCountCache.size >= ZERO_COUNT_CACHE_SIZE) zeroCountCache.delete(zeroCountCache.keys().next().value!);
    zeroCountCache.set(key, out);
    return new Map(out);
  } catch {
    return new Map();
  }
}

const ZERO_COUNT_CACHE_SIZE = 64;
const zeroCountCache = new Map<string, Map<string, number>>();

function countZeroFilters(file: string, fileBytes: number, weights: { name: string; offset: number }[], spec: GraphSpec): Map<string, number> {
  const out = new Map<string, number>();
  const offsets = new Map(weights.map((w) => [w.name, w.offset]));
  const fd = openSync(file, 'r');
  try {
    for (const conv of convNodes(spec)) {
      const offset = offsets.get(`${conv.name}/kernel`);
      if (offset === undefined) continue;
      const [kh, kw] = conv.kernelSize;
      const rows = kh * kw * conv.inChannels;
      const bytes = rows * conv.filters * 4;
      if (offset + bytes > fileBytes) continue;
      const kernel = Buffer.alloc(bytes);
      if (readSync(fd, kernel, 0, bytes, offset) !== bytes) continue;
      const view = new DataView(kernel.buffer, kernel.byteOffset, kernel.byteLength);
      let zero = 0;
      // Kernel [kh,kw,in,out] row-major: filter f is every out-th value starting at f.
      for (let f = 0; f < conv.filters; f++) {
        let allZero = true;
        for (let r = 0; r < rows && allZero; r++) if (view.getFloat32((r * conv.filters + f) * 4, true) !== 0) allZero = false;
        if (allZero) zero++;
      }
      out.set(conv.name, zero);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

function latencyOf(metrics: Record<string, unknown>): LatencyRecord | null {
  const l = metrics.latency;
  return typeof l === 'object' && l !== null && 'tfjs' in l ? (l as LatencyRecord) : null;
}

/** What the compact job recorded (models/compact-runner.ts), when every number is there. */
function compactSpeedupOf(metrics: Record<string, unknown>): ComparedModel['compactSpeedup'] {
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const [speedup, batch, latencyMs, parentLatencyMs] = [metrics.speedup, metrics.latencyBatch, metrics.latencyMs, metrics.parentLatencyMs].map(num);
  if (speedup == null || batch == null || latencyMs == null || parentLatencyMs == null) return null;
  return { speedup, batch, latencyMs, parentLatencyMs };
}

function jobBrief(ws: Workspace, id: number): LineageStep['job'] {
  const job = jobRow(ws.db, id);
  return job ? { id: job.id, kind: job.kind, title: job.title, status: job.status } : null;
}

function lineage(ws: Workspace, start: ModelDbRow): LineageStep[] {
  const dataset = ws.db.prepare('SELECT id, name FROM datasets WHERE id = ?');

  return [start, ...lineageOf(ws.db, start)].map((row) => ({
    modelId: row.id,
    name: row.name,
    method: row.method,
    rate: row.rate,
    dataset: row.dataset_id === null ? null : ((dataset.get(row.dataset_id) as { id: number; name: string } | undefined) ?? null),
    job: row.job_id === null ? null : jobBrief(ws, row.job_id),
  }));
}

export function compareModels(ws: Workspace, ids: readonly number[]): ModelComparison {
  const unique = [...new Set(ids)];
  if (unique.length < 1) throw new ApiError('invalid_request', 'Compare needs at least one model.', 'ids');
  const rowStmt = ws.db.prepare('SELECT * FROM models WHERE id = ?');
  const rows = unique.map((id, i) => {
    const row = rowStmt.get(id) as ModelDbRow | undefined;
    if (!row) throw new ApiError('not_found', `No model with id ${id}.`, `ids.${i}`);
    return row;
  });

  const models: ComparedModel[] = [];
  const layerOrder: string[] = [];
  const layerRole = new Map<string, string>();
  const filters = new Map<number, Map<string, number>>();
  const zeros = new Map<number, Map<string, number>>();
  for (const row of rows) {
    let spec: GraphSpec;
    try {
      spec = parseGraphSpec(JSON.parse(row.spec));
    } catch (err) {
      throw new ApiError('failed', `Model ${row.id} (${row.name}) has an invalid graph spec: ${(err as Error).message}`);
    }
    const metrics = parseJson(row.metrics, `Metrics of model ${row.id}`);
    // The shared FLOPs report (exact MACs, params, paper-style figure) keeps this page and `models.flops` in agreement.
    let flops: number;
    let params: number;
    let flopsReduction = 0;
    let paperFlops: number | null = null;
    let paperFlopsReduction: number | null = null;
    try {
      const r = flopsReport(row);
      flops = r.macs;
      params = r.params;
      flopsReduction = r.reduction;
      paperFlops = r.paperStyle ? r.paperStyle.baselineMacs3x3 * (1 - r.paperStyle.reduction) : r.baseline.macs3x3;
      paperFlopsReduction = r.paperStyle ? r.paperStyle.reduction : 0;
    } catch {
      // No registry baseline for this spec (a foreign architecture): exact counts only.
      const cost = countCost(spec);
      flops = cost.macs;
      params = cost.params;
    }
    const dir = ws.resolve(row.dir);
    const zeroByLayer = zeroFilterCounts(dir, spec);
    zeros.set(row.id, zeroByLayer);
    const filterByLayer = new Map<string, number>();
    for (const conv of convNodes(spec)) {
      filterByLayer.set(conv.name, conv.filters);
      if (!layerRole.has(conv.name)) {
        layerOrder.push(conv.name);
        layerRole.set(conv.name, conv.role);
      }
    }
    filters.set(row.id, filterByLayer);
    models.push({
      id: row.id,
      name: row.name,
      arch: row.arch,
      method: row.method,
      rate: row.rate,
      accuracy: accuracyOf(metrics),
      accuracyBnRecalibrated: typeof metrics.accuracyBnRecalibrated === 'number' ? accuracyOf({ accuracy: metrics.accuracyBnRecalibrated }) : null,
      flops,
      paperFlops,
      flopsReduction,
      paperFlopsReduction,
      params,
      zeroFilters: [...zeroByLayer.values()].reduce((a, b) => a + b, 0),
      latency: latencyOf(metrics),
      compactSpeedup: compactSpeedupOf(metrics),
      sizeBytes: folderSize(dir),
      datasetId: row.dataset_id,
      jobId: row.job_id,
      parentModelId: row.parent_model_id,
      createdAt: row.created_at,
    });
  }

  const accuracyVsFlops: ScatterPoint[] = [];
  const accuracyVsLatency: ScatterPoint[] = [];
  for (const m of models) {
    if (m.accuracy === null) continue;
    accuracyVsFlops.push({ modelId: m.id, label: m.name, x: m.flops, y: m.accuracy });
    const batch1 = m.latency?.tfjs['1'];
    if (batch1) accuracyVsLatency.push({ modelId: m.id, label: m.name, x: batch1.meanMs, y: m.accuracy });
  }

  const layers: LayerFilters[] = layerOrder.map((layer) => ({
    layer,
    role: layerRole.get(layer)!,
    filters: Object.fromEntries(models.map((m) => [String(m.id), filters.get(m.id)!.get(layer) ?? null])),
    zeroFilters: Object.fromEntries(models.map((m) => [String(m.id), zeros.get(m.id)!.get(layer) ?? null])),
  }));

  return {
    models,
    scatter: { accuracyVsFlops, accuracyVsLatency },
    layers,
    lineage: Object.fromEntries(rows.map((r) => [String(r.id), lineage(ws, r)])),
  };
}
