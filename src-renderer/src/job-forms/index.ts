/**
 * Every job form of the app, by job kind: the one place a form is registered.
 * Each entry makes its definition (call it in a component's setup: pickers
 * and conditions read stores). Kinds without a form here are started from the
 * CLI only (engine.bench, workspace.verify) or have no params schema in the
 * contract yet (model.compact: a button per model and a width setting).
 */
import { jobKinds, type JobKind } from '../../../src-main/common/contract/index.ts';
import type { JobFormDef } from '../forms/form-types.ts';
import { trainForm } from './train.ts';
import { spganTrainForm, spganTranslateForm } from './spgan.ts';
import { reidEvalForm, reidTrainForm } from './reid.ts';
import { exportForm, latencyForm, modelImportForm } from './models.ts';
import { datasetImportForm } from './dataset-import.ts';
import { sensitivityForm } from './prune.ts';
import { adaptEvalForm, adaptGenerateForm, adaptTrainForm } from './adapt.ts';
import { localizeEvalForm, localizeGenerateForm, localizeMapsForm, localizeTrainForm } from './localize.ts';

export const jobForms = {
  [jobKinds.trainRun]: trainForm,
  [jobKinds.spganTrain]: spganTrainForm,
  [jobKinds.spganTranslate]: spganTranslateForm,
  [jobKinds.reidTrain]: reidTrainForm,
  [jobKinds.reidEval]: reidEvalForm,
  [jobKinds.modelsExport]: exportForm,
  [jobKinds.modelsLatency]: latencyForm,
  [jobKinds.modelsImport]: modelImportForm,
  [jobKinds.datasetsImport]: datasetImportForm,
  [jobKinds.pruneSensitivity]: sensitivityForm,
  [jobKinds.adaptGenerate]: adaptGenerateForm,
  [jobKinds.adaptTrain]: adaptTrainForm,
  [jobKinds.adaptEval]: adaptEvalForm,
  [jobKinds.localizeGenerate]: localizeGenerateForm,
  [jobKinds.localizeTrain]: localizeTrainForm,
  [jobKinds.localizeEval]: localizeEvalForm,
  [jobKinds.localizeMaps]: localizeMapsForm,
} satisfies Partial<Record<JobKind, () => JobFormDef>>;

export type JobFormKind = keyof typeof jobForms;
