import { jobKinds } from '../common/contract/kinds.ts';
import type { datasetsCalls } from '../common/contract/datasets.ts';
import type { HandlerMap } from '../core/handler-types.ts';
import { importers } from './formats/registry.ts';
import { datasetDetail, datasetRow, datasetStats, listDatasets, sampleDetail, samplePage, toSummary } from './queries.ts';
import { deleteDataset, detect, verifyDataset } from './manage.ts';
import { createSplit, listSplits, removeSplit } from './splits.ts';
import { suggestFolders } from './folder-suggestions.ts';
import { readSettings } from '../core/settings.ts';

/** Handlers for the calls declared in common/contract/datasets.ts. */
export const datasetsHandlers: HandlerMap<keyof typeof datasetsCalls> = {
  'datasets.formats': () => [...importers.values()].map((f) => ({ format: f.format, title: f.title, layout: f.layout, decoded: f.decoded })),
  'datasets.detect': (req, { ws }) => detect(ws, req.path),
  'datasets.folders': (req, { ws }) => suggestFolders(req.path, readSettings(ws).importRoots),
  'datasets.import': (req, { jobs }) => jobs.submit(jobKinds.datasetsImport, req),
  'datasets.list': (_req, { ws }) => listDatasets(ws.db),
  'datasets.get': (req, { ws }) => datasetDetail(ws.db, req.id),
  'datasets.samples': (req, { ws }) => {
    const { offset, limit, ...filter } = req;
    return samplePage(ws.db, filter, offset, limit);
  },
  'datasets.sample': (req, { ws }) => sampleDetail(ws.db, req.id),
  'datasets.stats': (req, { ws }) => datasetStats(ws.db, req.id),
  'datasets.rename': (req, { ws, events }) => {
    datasetRow(ws.db, req.id);
    ws.db.prepare('UPDATE datasets SET name = ? WHERE id = ?').run(req.name, req.id);
    events.emit('data.changed', { what: 'datasets' });
    return toSummary(datasetRow(ws.db, req.id));
  },
  'datasets.delete': (req, { ws, events }) => {
    deleteDataset(ws, req.id);
    events.emit('data.changed', { what: 'datasets' });
    return { deleted: true };
  },
  'datasets.splits.list': (req, { ws }) => listSplits(ws.db, req.id),
  'datasets.splits.create': (req, { ws, events }) => {
    const split = createSplit(ws.db, req);
    events.emit('data.changed', { what: 'datasets' });
    return split;
  },
  'datasets.splits.remove': (req, { ws, events }) => {
    removeSplit(ws.db, req.id, req.name);
    events.emit('data.changed', { what: 'datasets' });
    return { removed: true };
  },
  'datasets.verify': (req, { ws }) => verifyDataset(ws, req.id, req.limit),
};
