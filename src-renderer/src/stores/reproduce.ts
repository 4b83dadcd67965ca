import { defineStore } from 'pinia';
import { ref } from 'vue';
import { jobKinds, type JobSummary, type Req, type ReproductionEntry, type ReproductionReport, type ReproductionSummary } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';
import { followJobs } from './follow-jobs.ts';

/** The reproduction catalogue, the started reproductions and the report on view. */
export const useReproduceStore = defineStore('reproduce', () => {
  const catalogue = ref<ReproductionEntry[]>([]);
  const started = ref<ReproductionSummary[]>([]);
  const report = ref<ReproductionReport | null>(null);

  async function load(): Promise<void> {
    const api = useApi();
    const [entries, list] = await Promise.all([catalogue.value.length ? Promise.resolve(catalogue.value) : api.call('reproduce.catalogue', {}), api.call('reproduce.list', {})]);
    catalogue.value = entries;
    started.value = list;
  }

  async function openReport(id: number): Promise<void> {
    report.value = await useApi().call('reproduce.report', { id });
  }

  /** Reloads the list, and the report on view. */
  async function refresh(): Promise<void> {
    started.value = await useApi().call('reproduce.list', {});
    if (report.value) await openReport(report.value.reproduction.id);
  }

  /** Queues every run of an entry (one sweep); throws the ApiError naming the field for the form. Returns it and its jobs. */
  async function start(request: Req<'reproduce.start'>): Promise<{ reproduction: ReproductionSummary; jobs: JobSummary[] }> {
    const api = useApi();
    const reproduction = await api.call('reproduce.start', request);
    started.value = [reproduction, ...started.value.filter((r) => r.id !== reproduction.id)];
    return { reproduction, jobs: await api.call('jobs.list', { sweepId: reproduction.sweepId }) };
  }

  /** Follows the training jobs while a page shows reproductions (the shared store mechanism); returns the unsubscribe. */
  function follow(): () => void {
    return followJobs([jobKinds.trainRun], refresh);
  }

  return { catalogue, started, report, load, openReport, refresh, start, follow };
});
