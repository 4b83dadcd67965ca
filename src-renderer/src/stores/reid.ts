import { defineStore } from 'pinia';
import { ref } from 'vue';
import { jobKinds, type RankedList, type ReidEvalSummary, type ReidModelSummary, type ReidQueryInfo } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';
import { followJobs, once } from './follow-jobs.ts';

/** Re-ID evaluations and the ranked lists of their queries, for one or two models side by side. */
export const useReidStore = defineStore('reid', () => {
  const evals = ref<ReidEvalSummary[]>([]);
  const models = ref<ReidModelSummary[]>([]);
  const queries = ref<{ total: number; items: ReidQueryInfo[] }>({ total: 0, items: [] });
  const ranking = ref<{ query: ReidQueryInfo; lists: RankedList[] } | null>(null);

  const followEvals = once(() => followJobs([jobKinds.reidEval], () => loadEvals()));
  const followModels = once(() => followJobs([], () => loadModels(), ['models']));
  async function loadEvals(): Promise<void> {
    followEvals();
    evals.value = await useApi().call('reid.evals', {});
  }
  async function loadModels(): Promise<void> {
    followModels();
    models.value = await useApi().call('reid.models', {});
  }
  async function loadQueries(evalJobIds: number[], options: { personId?: number; failuresOnly?: boolean; offset?: number } = {}): Promise<void> {
    queries.value = await useApi().call('reid.queries', { evalJobIds, limit: 120, ...options });
  }
  async function loadRanking(evalJobIds: number[], querySampleId: number, k = 10): Promise<void> {
    ranking.value = await useApi().call('reid.ranking', { evalJobIds, querySampleId, k });
  }
  function fileUrl(path: string, thumb?: number): string {
    return useApi().fileUrl(path, thumb ? { thumb } : undefined);
  }

  return { evals, models, queries, ranking, loadEvals, loadModels, loadQueries, loadRanking, fileUrl };
});
