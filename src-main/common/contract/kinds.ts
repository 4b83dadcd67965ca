/**
 * Every job kind, named once (the way tfjs names its kernels in one file):
 * specs register under these names, the renderer's forms and links and the CLI
 * use them. A kind is `<domain>.<verb>`, the domain being the word its contract
 * file and folder use.
 */
export const jobKinds = {
  workspaceVerify: 'workspace.verify',
  datasetsImport: 'datasets.import',
  engineBench: 'engine.bench',
  trainRun: 'train.run',
  pruneSensitivity: 'prune.sensitivity',
  modelsCompact: 'models.compact',
  modelsExport: 'models.export',
  modelsLatency: 'models.latency',
  modelsImport: 'models.import',
  spganTrain: 'spgan.train',
  spganTranslate: 'spgan.translate',
  reidTrain: 'reid.train',
  reidEval: 'reid.eval',
  localizeGenerate: 'localize.generate',
  localizeTrain: 'localize.train',
  localizeEval: 'localize.eval',
  localizeMaps: 'localize.maps',
  adaptGenerate: 'adapt.generate',
  adaptTrain: 'adapt.train',
  adaptAttention: 'adapt.attention',
  adaptEval: 'adapt.eval',
} as const;

export type JobKind = (typeof jobKinds)[keyof typeof jobKinds];

/**
 * Kinds that earlier versions stored, and their names now. Migration 003
 * rewrites stored rows; a submit under an old name still works.
 */
export const legacyJobKinds: Readonly<Record<string, JobKind>> = {
  train: jobKinds.trainRun,
  'dataset.import': jobKinds.datasetsImport,
  'model.compact': jobKinds.modelsCompact,
};

/** The current name of a kind (old names map to new ones; unknown names pass through). */
export function canonicalJobKind(kind: string): string {
  return Object.prototype.hasOwnProperty.call(legacyJobKinds, kind) ? legacyJobKinds[kind]! : kind;
}

export function isJobKind(name: string): name is JobKind {
  return (Object.values(jobKinds) as string[]).includes(name);
}

/** The backends a job or the settings can request ('auto' tries TensorFlow, then WebAssembly, then plain JavaScript); named once in engine.ts. */
export { backendRequests as backendChoices, type BackendRequestName as BackendChoice } from './engine.ts';
