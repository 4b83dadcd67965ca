/** The job forms on workspace models: export (ONNX, TF.js), latency measurement, and importing a model folder. */
import { exportParamsSchema, importParamsSchema, jobKinds, latencyParamsSchema } from '../../../src-main/common/contract/index.ts';
import { placement } from '../stores/jobs.ts';
import { useCompareStore } from '../stores/compare.ts';
import type { JobFormDef } from '../forms/form-types.ts';
import FormPick from '../forms/FormPick.vue';

const modelPicker = { widget: FormPick, props: { source: 'models' } };

export function exportForm(): JobFormDef {
  const store = useCompareStore();
  return {
    kind: jobKinds.modelsExport,
    schema: exportParamsSchema,
    title: 'Export a model',
    idPrefix: 'export',
    backend: true,
    fields: { modelId: modelPicker, outDir: { label: 'Also copy to folder', help: 'Optional; an absolute folder path.' } },
    submit: (params, backend, runOn) => store.exportModel({ ...(params as Parameters<typeof store.exportModel>[0]), ...placement(backend, runOn) }),
  };
}

export function latencyForm(): JobFormDef {
  const store = useCompareStore();
  return {
    kind: jobKinds.modelsLatency,
    schema: latencyParamsSchema,
    title: 'Measure latency',
    idPrefix: 'latency',
    backend: true,
    fields: { modelId: modelPicker, batchSize: { help: 'Batch 1 is always measured; this adds a larger batch.' } },
    submit: (params, backend, runOn) => store.measureLatency({ ...(params as Parameters<typeof store.measureLatency>[0]), ...placement(backend, runOn) }),
  };
}

export function modelImportForm(): JobFormDef {
  const store = useCompareStore();
  return {
    kind: jobKinds.modelsImport,
    schema: importParamsSchema,
    idPrefix: 'model',
    testId: 'model-import',
    submitLabel: 'Import',
    cancelLabel: 'Close',
    stacked: true,
    sections: [
      {
        fields: [
          { path: 'path', label: 'Model folder', help: 'A folder with model.json and weights.bin, e.g. exported from another workspace.' },
          { path: 'name', label: 'Name', help: 'Optional; defaults to the folder name.' },
        ],
      },
    ],
    submit: (params) => store.importModel(params as Parameters<typeof store.importModel>[0]),
  };
}
