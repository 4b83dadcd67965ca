/**
 * Names that every side spells the same way, declared once: the job kinds (what
 * a job spec registers under, what `jobs.submit` takes and the jobs table
 * stores) and the compute backends a job or the settings may ask for. Job
 * kinds are stored in workspaces, so a name here never changes without an
 * alias for the old one.
 */

/** Every job kind, by a short key: `jobKinds.train`, `jobKinds.spganTrain`... */
export const jobKinds = {
  train: 'train',
  datasetImport: 'dataset.import',
  modelCompact: 'model.compact',
  modelsExport: 'models.export',
  modelsLatency: 'models.latency',
  modelsImport: 'models.import',
  spganTrain: 'spgan.train',
  spganTranslate: 'spgan.translate',
  reidTrain: 'reid.train',
  reidEval: 'reid.eval',
  engineBench: 'engine.bench',
  workspaceVerify: 'workspace.verify',
} as const;
export type JobKind = (typeof jobKinds)[keyof typeof jobKinds];

/** The backends a job or the settings can request; 'auto' tries TensorFlow, then WebAssembly, then plain JavaScript. */
export const backendChoices = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof backendChoices)[number];

export function isJobKind(name: string): name is JobKind {
  return (Object.values(jobKinds) as string[]).includes(name);
}
