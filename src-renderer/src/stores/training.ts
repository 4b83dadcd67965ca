import { defineStore } from 'pinia';
import { ref } from 'vue';
import { jobKinds, type BackendChoice, type FilterHistory, type JobSummary, type ModelInfo, type ModelSummary, type RunOn, type TrainConfigInput, type TrainingRunDetail } from '../../../src-main/common/contract/index.ts';
import { placement } from './jobs.ts';
import { useApi } from '../api/index.ts';

export const useTrainingStore = defineStore('training', () => {
  const architectures = ref<ModelInfo[]>([]);
  const models = ref<ModelSummary[]>([]);
  const runs = ref<Record<number, TrainingRunDetail>>({});
  const filterHistory = ref<Record<number, FilterHistory>>({});
  /** `prune.layerRates` handed to the next new run (the sensitivity scan's "use as layer rates"), with the scan it came from. */
  const layerRatesPreset = ref<{ fromJobId: number; rates: Record<string, number> } | null>(null);

  async function loadArchitectures(): Promise<void> {
    if (!architectures.value.length) architectures.value = await useApi().call('models.architectures', {});
  }
  async function loadModels(): Promise<void> {
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
  /** Validates, then queues the run; throws the ApiError with the offending field. */
  async function start(config: TrainConfigInput, backend: BackendChoice = 'auto', runOn: RunOn = 'local'): Promise<JobSummary> {
    const api = useApi();
    await api.call('train.validateConfig', { config });
    return api.call('jobs.submit', { kind: jobKinds.trainRun, params: config, ...placement(backend, runOn) });
  }

  return { architectures, models, runs, filterHistory, layerRatesPreset, loadArchitectures, loadModels, loadRun, loadFilterHistory, start };
});
