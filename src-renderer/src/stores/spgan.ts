import { defineStore } from 'pinia';
import { ref } from 'vue';
import { jobKinds, type SpganEpochSamples, type SpganRunSummary, type SpganTargetExample, type TranslatedDatasetSummary, type TranslatedPair, type Req } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';
import { followJobs, once } from './follow-jobs.ts';

/** SPGAN runs, their per-epoch sample translations and the datasets they translated. */
export const useSpganStore = defineStore('spgan', () => {
  const runs = ref<SpganRunSummary[]>([]);
  const loaded = ref(false);
  const samples = ref<SpganEpochSamples | null>(null);
  const targets = ref<SpganTargetExample[]>([]);
  const translated = ref<TranslatedDatasetSummary[]>([]);
  const pairs = ref<{ total: number; items: TranslatedPair[] }>({ total: 0, items: [] });

  async function loadRuns(): Promise<void> {
    try {
      runs.value = await useApi().call('spgan.runs', {});
    } finally {
      loaded.value = true;
    }
  }
  async function loadSamples(jobId: number, epoch: number): Promise<void> {
    samples.value = await useApi().call('spgan.samples', { jobId, epoch, direction: 'both' });
  }
  async function loadTargets(jobId: number, count = 6): Promise<void> {
    targets.value = await useApi().call('spgan.targetExamples', { jobId, count });
  }
  /** A translate job that ends adds a translated dataset. */
  const followTranslated = once(() => followJobs([jobKinds.spganTranslate], () => loadTranslated(), ['datasets']));
  async function loadTranslated(): Promise<void> {
    followTranslated();
    translated.value = await useApi().call('spgan.translatedDatasets', {});
  }
  async function loadPairs(request: Req<'spgan.translatedPairs'>): Promise<void> {
    pairs.value = await useApi().call('spgan.translatedPairs', request);
  }
  /**
   * Follows SPGAN training while a page shows its samples: a run's new epochs
   * (and its end) reload the run list, at most every `everyMs`. Returns the unsubscribe.
   */
  function followRuns(everyMs = 2000): () => void {
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = useApi().on('job.updated', (job) => {
      if (job.kind !== jobKinds.spganTrain) return;
      const wait = job.status === 'running' ? Math.max(0, last + everyMs - Date.now()) : 0;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        last = Date.now();
        void loadRuns();
      }, wait);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }
  function fileUrl(path: string, thumb?: number): string {
    return useApi().fileUrl(path, thumb ? { thumb } : undefined);
  }

  return { runs, loaded, samples, targets, translated, pairs, loadRuns, loadSamples, loadTargets, loadTranslated, loadPairs, followRuns, fileUrl };
});
