import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { SlurmProfile, SlurmProfileInput } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';

/** The Slurm profiles of the workspace (Settings page, the "Run on" choice of job forms). */
export const useSlurmStore = defineStore('slurm', () => {
  const profiles = ref<SlurmProfile[]>([]);
  const error = ref<string | null>(null);
  let loading: Promise<void> | null = null;

  function load(): Promise<void> {
    loading ??= (async () => {
      try {
        profiles.value = await useApi().call('slurm.profiles.list', {});
        error.value = null;
      } catch (e) {
        error.value = (e as Error).message;
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  /** Adds or replaces a profile; throws the ApiError (naming `profile.<field>`) for the form. */
  async function save(profile: SlurmProfileInput): Promise<SlurmProfile> {
    const saved = await useApi().call('slurm.profiles.set', { profile });
    profiles.value = [...profiles.value.filter((p) => p.name !== saved.name), saved].sort((a, b) => a.name.localeCompare(b.name));
    return saved;
  }

  async function remove(name: string): Promise<void> {
    await useApi().call('slurm.profiles.remove', { name });
    profiles.value = profiles.value.filter((p) => p.name !== name);
  }

  return { profiles, error, load, save, remove };
});
