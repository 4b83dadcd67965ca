import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { WorkspaceInfo } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';

export const useWorkspaceStore = defineStore('workspace', () => {
  const info = ref<WorkspaceInfo | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    try {
      info.value = await useApi().call('workspace.info', {});
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }

  /** Chooses the folder the app opens at its next start; throws the ApiError (field `dir`). */
  async function setNextStart(dir: string): Promise<void> {
    info.value = await useApi().call('workspace.setDefault', { dir });
  }

  return { info, error, load, setNextStart };
});
