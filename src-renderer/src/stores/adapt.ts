import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AdaptRunSummary } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';

/** Domain adaptation runs (adapt.runs: a resumed run once, as its newest job), newest first; the page and the run picker of the evaluation form read them. */
export const useAdaptStore = defineStore('adapt', () => {
  const runs = ref<AdaptRunSummary[]>([]);
  const loaded = ref(false);
  async function loadRuns(): Promise<void> {
    try {
      runs.value = await useApi().call('adapt.runs', {});
    } finally {
      loaded.value = true;
    }
  }
  return { runs, loaded, loadRuns };
});
