import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { EngineInfo } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';

/** The compute engine jobs run on (probed by the backend in a job process). */
export const useEngineStore = defineStore('engine', () => {
  const info = ref<EngineInfo | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);

  /** `refresh` probes again instead of answering from the backend's cache (after a backend change). */
  async function load(refresh = false): Promise<void> {
    loading.value = true;
    try {
      info.value = await useApi().call('engine.info', refresh ? { refresh: true } : {});
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  return { info, loading, error, load };
});
