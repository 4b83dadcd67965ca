import type { modelsCalls } from '../common/contract/models.ts';
import type { HandlerMap } from '../core/handler-types.ts';
import { ApiError } from '../common/contract/errors.ts';
import { getModelRow, lineageOf, toModelSummary, type ModelRow } from './model-rows.ts';
import { flopsReport } from './cost.ts';
import { filterNorms, graphOfSpec } from './graph-view.ts';
import { parseGraphSpec } from '../nn/graph.ts';
import { listModels } from './specs.ts';
import { compareModels } from './compare.ts';
import { jobKinds } from '../common/contract/kinds.ts';
import { modelFiles } from '../core/job-files.ts';

/** Handlers for the calls declared in common/contract/models.ts. */
export const modelsHandlers: HandlerMap<keyof typeof modelsCalls> = {
  'models.list': (req, { ws }) => {
    const filters: [string, string | number | undefined][] = [
      ['dataset_id = ?', req.datasetId],
      ['method = ?', req.method],
      ['arch = ?', req.arch],
    ];
    const used = filters.filter((f): f is [string, string | number] => f[1] !== undefined);
    const where = used.map((f) => f[0]);
    const args = used.map((f) => f[1]);
    const sql = `SELECT * FROM models ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC`;
    return (ws.db.prepare(sql).all(...args) as ModelRow[]).map(toModelSummary);
  },
  'models.get': (req, { ws }) => {
    const row = getModelRow(ws.db, req.id);
    const children = ws.db.prepare('SELECT * FROM models WHERE parent_model_id = ? ORDER BY id').all(row.id) as ModelRow[];
    return { ...toModelSummary(row), spec: JSON.parse(row.spec) as unknown, lineage: lineageOf(ws.db, row).map(toModelSummary), children: children.map(toModelSummary) };
  },
  'models.files': (req, { ws }) => modelFiles(ws.db, ws.dir, getModelRow(ws.db, req.id).id),
  'models.flops': (req, { ws }) => {
    const row = getModelRow(ws.db, req.id);
    try {
      return flopsReport(row);
    } catch (err) {
      throw new ApiError('failed', `Model ${req.id}: ${(err as Error).message}`, 'id');
    }
  },
  'models.graph': (req, { ws }) => {
    const row = getModelRow(ws.db, req.id);
    try {
      const spec = parseGraphSpec(JSON.parse(row.spec));
      const graph = graphOfSpec(spec, filterNorms(ws.resolve(row.dir), spec));
      return { modelId: row.id, name: row.name, arch: row.arch, method: row.method, ...graph };
    } catch (err) {
      throw new ApiError('failed', `Model ${req.id}: ${(err as Error).message}`, 'id');
    }
  },
  'models.architectures': () => listModels(),
  'models.compare': (req, ctx) => compareModels(ctx.ws, req.ids),
  'models.export': async ({ backend, runOn, ...params }, ctx) => {
    await ctx.jobs.checkRunOn(runOn);
    return ctx.jobs.submit(jobKinds.modelsExport, params, { backend, runOn });
  },
  'models.latency': async ({ backend, runOn, ...params }, ctx) => {
    await ctx.jobs.checkRunOn(runOn);
    return ctx.jobs.submit(jobKinds.modelsLatency, params, { backend, runOn });
  },
  'models.import': async ({ backend, runOn, ...params }, ctx) => {
    await ctx.jobs.checkRunOn(runOn);
    return ctx.jobs.submit(jobKinds.modelsImport, params, { backend, runOn });
  },
};
