import { defineStore } from 'pinia';
import { ref } from 'vue';
import {
  jobKinds,
  type BackendChoice,
  type FilterHistory,
  type JobAnnotation,
  type JobSummary,
  type ModelInfo,
  type ModelSummary,
  type RunCurves,
  type RunOn,
  type RunPredictions,
  type TrainConfig,
  type TrainConfigInput,
  type TrainingRunDetail,
  type TrainingRunRow,
} from '../../../src-main/common/contract/index.ts';
import { placement } from './jobs.ts';
import { followJobs, once } from './follow-jobs.ts';
import { useApi } from '../api/index.ts';

export const useTrainingStore = defineStore('training', () => {
  const architectures = ref<ModelInfo[]>([]);
  const models = ref<ModelSummary[]>([]);
  const runs = ref<Record<number, TrainingRunDetail>>({});
  const filterHistory = ref<Record<number, FilterHistory>>({});
  /** `prune.layerRates` handed to the next new run (the sensitivity scan's "use as layer rates"), with the scan it came from. */
  const layerRatesPreset = ref<{ fromJobId: number; rates: Record<string, number> } | null>(null);
  /** A run's config handed to the next new run ("Clone config"), with the run it came from. */
  const clonePreset = ref<{ fromJobId: number; name: string; config: TrainConfig } | null>(null);
  /** The experiment log: one row per run across its resumes. */
  const runList = ref<TrainingRunRow[]>([]);
  const runListLoaded = ref(false);
  /** Curves per job asked for (a run across its resumes). */
  const curves = ref<Record<number, RunCurves>>({});

  async function loadArchitectures(): Promise<void> {
    if (!architectures.value.length) architectures.value = await useApi().call('models.architectures', {});
  }
  /** Jobs whose end adds a model or changes one's metrics (latency, exports): the list reloads then. */
  // The host says `data.changed: models` once a job that saved a model or recorded on one committed (a job spec's `changes`).
  const followModels = once(() => followJobs([], () => loadModels(), ['models']));
  async function loadModels(): Promise<void> {
    followModels();
    models.value = await useApi().call('models.list', {});
  }
  async function loadRun(jobId: number): Promise<TrainingRunDetail> {
    const run = await useApi().call('train.get', { jobId });
    runs.value[jobId] = run;
    return run;
  }
  async function loadFilterHistory(jobId: number): Promise<FilterHistory> {
    const history = await useApi().call('train.filterHistory', { jobId });
    filterHistory.value[jobId] = history;
    return history;
  }
  async function loadRunList(): Promise<TrainingRunRow[]> {
    runList.value = await useApi().call('train.runs', {});
    runListLoaded.value = true;
    return runList.value;
  }
  async function loadCurves(jobIds: number[]): Promise<RunCurves[]> {
    const list = await useApi().call('train.curves', { jobIds });
    for (const c of list) curves.value[c.jobId] = c;
    return list;
  }
  /** A finished run's test results: confusion matrix and a page of misclassified samples (of one cell when given). */
  function loadPredictions(jobId: number, page: { offset?: number; limit?: number; trueLabel?: number; predictedLabel?: number } = {}): Promise<RunPredictions> {
    return useApi().call('train.predictions', { jobId, ...page });
  }
  /** Sets a run's tags and/or notes; the list row follows. */
  async function annotate(jobId: number, change: { tags?: string[]; notes?: string }): Promise<JobAnnotation> {
    const stored = await useApi().call('jobs.annotate', { id: jobId, ...change });
    runList.value = runList.value.map((r) => (r.jobIds.includes(stored.id) ? { ...r, tags: stored.tags, notes: stored.notes } : r));
    return stored;
  }
  /** Validates, then queues the run; throws the ApiError with the offending field. */
  async function start(config: TrainConfigInput, backend: BackendChoice = 'auto', runOn: RunOn = 'local'): Promise<JobSummary> {
    const api = useApi();
    await api.call('train.validateConfig', { config });
    return api.call('jobs.submit', { kind: jobKinds.trainRun, params: config, ...placement(backend, runOn) });
  }

  return {
    architectures,
    models,
    runs,
    filterHistory,
    layerRatesPreset,
    clonePreset,
    runList,
    runListLoaded,
    curves,
    loadArchitectures,
    loadModels,
    loadRun,
    loadFilterHistory,
    loadRunList,
    loadCurves,
    loadPredictions,
    annotate,
    start,
  };
});
