import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BackendChoice, JobDetail, JobKind, JobSummary, MetricPoint, RunOn } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';

type LogLine = JobDetail['logs'][number];
/** Live log lines kept per job in memory; the full log is in jobs.get. */
const maxLogLines = 500;

/** The placement fields of a call that queues a job, leaving out the defaults. */
export function placement(backend: BackendChoice, runOn: RunOn): { backend?: BackendChoice; runOn?: RunOn } {
  return { ...(backend !== 'auto' ? { backend } : {}), ...(runOn !== 'local' ? { runOn } : {}) };
}

/** Every job the workspace knows, kept live from job.* events. */
export const useJobsStore = defineStore('jobs', () => {
  const jobs = ref<JobSummary[]>([]);
  const logs = ref<Record<number, LogLine[]>>({});
  const metrics = ref<Record<number, MetricPoint[]>>({});
  const details = ref<Record<number, JobDetail>>({});
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const unsubscribers = shallowRef<(() => void)[]>([]);

  const active = computed(() => jobs.value.filter((j) => j.status === 'running' || j.status === 'queued'));
  const running = computed(() => jobs.value.filter((j) => j.status === 'running'));
  const queued = computed(() => jobs.value.filter((j) => j.status === 'queued'));
  /** Jobs that stopped with the app and can continue from their last checkpoint. */
  const resumable = computed(() => jobs.value.filter((j) => j.resumable && (j.status === 'interrupted' || j.status === 'cancelled')));

  function byId(id: number): JobSummary | undefined {
    return jobs.value.find((j) => j.id === id);
  }

  function upsert(job: JobSummary): void {
    const index = jobs.value.findIndex((j) => j.id === job.id);
    if (index >= 0) jobs.value[index] = job;
    else jobs.value = [job, ...jobs.value].sort((a, b) => b.id - a.id);
    const detail = details.value[job.id];
    if (detail) details.value[job.id] = { ...detail, ...job };
  }

  async function refresh(): Promise<void> {
    try {
      jobs.value = await useApi().call('jobs.list', { limit: 200 });
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loaded.value = true;
    }
  }

  /** Subscribes to job events once and loads the list. */
  async function start(): Promise<void> {
    if (unsubscribers.value.length === 0) {
      const api = useApi();
      unsubscribers.value = [
        api.on('job.updated', (job) => upsert(job)),
        api.on('job.progress', ({ id, progress }) => {
          const job = byId(id);
          if (job) upsert({ ...job, progress });
        }),
        api.on('job.log', ({ id, ts, level, line }) => {
          const lines = [...(logs.value[id] ?? []), { ts, level, line }];
          logs.value[id] = lines.slice(-maxLogLines);
        }),
        api.on('job.metrics', ({ id, points }) => {
          metrics.value[id] = [...(metrics.value[id] ?? []), ...points];
        }),
        api.on('data.changed', ({ what }) => {
          if (what === 'jobs') void refresh();
        }),
      ];
    }
    await refresh();
  }

  function stop(): void {
    for (const off of unsubscribers.value) off();
    unsubscribers.value = [];
  }

  async function cancel(id: number): Promise<void> {
    upsert(await useApi().call('jobs.cancel', { id }));
  }

  /** Continues a job from its checkpoint, where it ran unless `runOn` says otherwise. */
  async function resume(id: number, runOn?: RunOn): Promise<JobSummary> {
    const job = await useApi().call('jobs.resume', { id, ...(runOn ? { runOn } : {}) });
    upsert(job);
    return job;
  }

  /** Queues a job; 'auto' (the default) leaves the backend to the settings; runOn 'local' (the default) is this machine. */
  async function submit(kind: JobKind, params: unknown, backend: BackendChoice = 'auto', runOn: RunOn = 'local'): Promise<JobSummary> {
    const job = await useApi().call('jobs.submit', { kind, params, ...placement(backend, runOn) });
    upsert(job);
    return job;
  }

  /** Whether a job is waiting or running (as this store last heard). */
  function isActive(id: number): boolean {
    const status = byId(id)?.status;
    return status === 'queued' || status === 'running';
  }

  /**
   * Jobs queued by an action (a button: "Compact model 3"), by the action's key, so the
   * button can show its job and wait while it runs: a second click never queues it twice.
   */
  const launched = ref<Record<string, number>>({});
  const launching = ref<Record<string, true>>({});
  /** The active job an action queued, if any. */
  function launchedJob(key: string): JobSummary | undefined {
    const id = launched.value[key];
    return id !== undefined && isActive(id) ? byId(id) : undefined;
  }
  /** The action is being sent or its job is queued or running. */
  function busy(key: string): boolean {
    return !!launching.value[key] || !!launchedJob(key);
  }
  /** Runs `work` (a call that queues a job) unless the action is busy; null when it was. Errors are the call's. */
  async function launch(key: string, work: () => Promise<JobSummary>): Promise<JobSummary | null> {
    if (busy(key)) return null;
    launching.value[key] = true;
    try {
      const job = await work();
      upsert(job);
      launched.value[key] = job.id;
      return job;
    } finally {
      delete launching.value[key];
    }
  }

  async function loadDetail(id: number): Promise<JobDetail> {
    const detail = await useApi().call('jobs.get', { id });
    details.value[id] = detail;
    // The live buffer continues from the stored log.
    logs.value[id] = detail.logs.slice(-maxLogLines);
    return detail;
  }

  async function loadMetrics(id: number): Promise<MetricPoint[]> {
    const points = await useApi().call('jobs.metrics', { id });
    metrics.value[id] = points;
    return points;
  }

  return { jobs, logs, metrics, details, loaded, error, active, running, queued, resumable, byId, isActive, launchedJob, busy, launch, upsert, refresh, start, stop, cancel, resume, submit, loadDetail, loadMetrics };
});
