/**
 * The files of a job, loaded when the page opens and again when the job ends
 * (exports and checkpoints appear with its last update).
 */
import { ref, watch, type Ref } from 'vue';
import type { FileEntry, JobStatus } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';

export function useJobFiles(id: Ref<number>, status: Ref<JobStatus | undefined>): Ref<FileEntry[]> {
  const files = ref<FileEntry[]>([]);
  const load = async (): Promise<void> => {
    try {
      files.value = await useApi().call('jobs.files', { id: id.value });
    } catch {
      files.value = [];
    }
  };
  watch(id, () => void load(), { immediate: true });
  watch(status, (now, before) => {
    if (before && now !== before) void load();
  });
  return files;
}
