import type { augmentCalls } from '../common/contract/augment.ts';
import type { HandlerMap } from '../core/handler-types.ts';
import { describeTransforms } from './registry.ts';
import { resolvePipeline } from './pipeline.ts';
import { previewResult } from './preview.ts';
import { deletePipeline, getPipeline, listPipelines, savePipeline } from './pipelines-store.ts';

/** Handlers for the calls declared in common/contract/augment.ts. */
export const augmentHandlers: HandlerMap<keyof typeof augmentCalls> = {
  'augment.transforms': () => describeTransforms(),
  'augment.preview': (req, { ws }) => {
    const spec = 'id' in req.pipeline ? getPipeline(ws.db, { id: req.pipeline.id }).spec : req.pipeline;
    return previewResult(ws.db, { ...req, pipeline: spec });
  },
  'augment.validate': (req) => ({ ok: true, steps: resolvePipeline(req.pipeline).steps.length }),
  'augment.pipelines.list': (_req, { ws }) => listPipelines(ws.db),
  'augment.pipelines.get': (req, { ws }) => getPipeline(ws.db, req),
  'augment.pipelines.save': (req, { ws, events }) => {
    const record = savePipeline(ws.db, req.name, req.spec, req.overwrite);
    events.emit('data.changed', { what: 'pipelines' });
    return record;
  },
  'augment.pipelines.delete': (req, { ws, events }) => {
    deletePipeline(ws.db, req.id);
    events.emit('data.changed', { what: 'pipelines' });
    return { deleted: true };
  },
};
