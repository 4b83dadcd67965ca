import { defineStore } from 'pinia';
import { ref } from 'vue';
import { jobKinds, type JobSummary, type ModelComparison, type Req } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';
import { followJobs, once } from './follow-jobs.ts';

/** Side-by-side comparison of models, and the export / latency jobs started from it. */
export const useCompareStore = defineStore('compare', () => {
  const selected = ref<number[]>([]);
  const comparison = ref<ModelComparison | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);

  /** A job that changed models (a latency measured, an export, a compact model) changes the compared cells: the comparison on view is made again. */
  const follow = once(() =>
    followJobs([], () => {
      const shown = comparison.value?.models.map((m) => m.id);
      if (shown?.length) return compare(shown);
    }, ['models']),
  );
  async function compare(ids: number[] = selected.value): Promise<void> {
    follow();
    loading.value = true;
    error.value = null;
    try {
      comparison.value = await useApi().call('models.compare', { ids });
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }
  /** Queues a models.export job; throws the ApiError (with its field) for the form. */
  function exportModel(params: Req<'models.export'>): Promise<JobSummary> {
    return useApi().call('models.export', params);
  }
  /**
   * Queues a model.compact job: removes the filters soft pruning zeroed (the result gives the same
   * outputs). align > 1 keeps a few zero filters so widths are multiples of it (ONNX Runtime runs
   * 16-channel blocks; multiples of 8 gave its fastest compact models).
   */
  function compactModel(modelId: number, align = 1): Promise<JobSummary> {
    return useApi().call('jobs.submit', { kind: jobKinds.modelsCompact, params: align > 1 ? { modelId, align } : { modelId } });
  }
  /** Queues a models.latency job (batch 1 and one larger batch). */
  function measureLatency(params: Req<'models.latency'>): Promise<JobSummary> {
    return useApi().call('models.latency', params);
  }

  /** Queues a models.import job; throws the ApiError (fields `path`, `name`). */
  function importModel(params: Req<'models.import'>): Promise<JobSummary> {
    return useApi().call('models.import', params);
  }

  return { selected, comparison, loading, error, compare, exportModel, compactModel, measureLatency, importModel };
});
