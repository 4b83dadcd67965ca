import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Req, SettingsMap } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';

export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<SettingsMap | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    try {
      settings.value = await useApi().call('settings.get', {});
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  /** Saves a change; throws the ApiError (with its field) for the form to show. */
  async function save(patch: Req<'settings.set'>): Promise<void> {
    settings.value = await useApi().call('settings.set', patch);
  }

  return { settings, error, load, save };
});
