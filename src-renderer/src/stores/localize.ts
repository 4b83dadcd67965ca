import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { LocalizeEvalSummary, LocalizeImage } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';

export type LocalizeFilter = 'all' | 'wrongClass' | 'wrongBox';
export type LocalizeOrder = 'index' | 'worstIou';

/** Localization evaluations, their per-image results and the attention map of the image on view. */
export const useLocalizeStore = defineStore('localize', () => {
  const evals = ref<LocalizeEvalSummary[]>([]);
  const images = ref<{ total: number; width: number; height: number; items: LocalizeImage[] }>({ total: 0, width: 0, height: 0, items: [] });
  const map = ref<{ width: number; height: number; values: number[] } | null>(null);

  async function loadEvals(): Promise<void> {
    evals.value = await useApi().call('localize.evals', {});
  }
  async function loadImages(evalJobId: number, filter: LocalizeFilter, order: LocalizeOrder): Promise<void> {
    images.value = await useApi().call('localize.images', { evalJobId, filter, order, limit: 500 });
  }
  async function loadMap(evalJobId: number, index: number): Promise<void> {
    map.value = await useApi().call('localize.map', { evalJobId, index });
  }
  function sampleUrl(sampleId: number): string {
    return useApi().sampleUrl(sampleId);
  }

  return { evals, images, map, loadEvals, loadImages, loadMap, sampleUrl };
});
