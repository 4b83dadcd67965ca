import { defineStore } from 'pinia';
import { ref } from 'vue';
import { type JobSummary, type LocalizeEvalSummary, type LocalizeImage, type LocalizeMapView, type LocalizePerClass, type ModelSummary } from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';
import { followJobs, once } from './follow-jobs.ts';

export type LocalizeFilter = 'all' | 'correct' | 'wrongClass' | 'wrongBox';
export type LocalizeOrder = 'index' | 'worstIou';

/** Localization evaluations, their per-image results and the attention map of the image on view. */
export const useLocalizeStore = defineStore('localize', () => {
  const evals = ref<LocalizeEvalSummary[]>([]);
  const images = ref<{ total: number; width: number; height: number; items: LocalizeImage[]; perClass: LocalizePerClass[] }>({ total: 0, width: 0, height: 0, items: [], perClass: [] });
  const map = ref<{ width: number; height: number; values: number[] } | null>(null);

  async function loadEvals(): Promise<void> {
    evals.value = await useApi().call('localize.evals', {});
  }
  /** The images of one evaluation that pass `filter` (and are of class `label` unless null), in `order`. */
  async function loadImages(evalJobId: number, filter: LocalizeFilter, order: LocalizeOrder, label: number | null = null): Promise<void> {
    images.value = await useApi().call('localize.images', { evalJobId, filter, order, limit: 500, ...(label !== null ? { label } : {}) });
  }
  async function loadMap(evalJobId: number, index: number): Promise<void> {
    map.value = await useApi().call('localize.map', { evalJobId, index });
  }
  function sampleUrl(sampleId: number): string {
    return useApi().sampleUrl(sampleId);
  }

  /** Localization models by method, newest first (the pickers of the side-by-side view). */
  const models = ref<{ cam: ModelSummary[]; spg: ModelSummary[] }>({ cam: [], spg: [] });
  const followModels = once(() => followJobs([], () => loadModels(), ['models']));
  async function loadModels(): Promise<void> {
    followModels();
    const [cam, spg] = await Promise.all([useApi().call('models.list', { method: 'cam' }), useApi().call('models.list', { method: 'spg' })]);
    models.value = { cam, spg };
  }

  /** Finished maps jobs by model, dataset and sample: a sample seen before is not computed again. */
  const mapsJobs = new Map<string, number>();
  /**
   * The id of a finished localize.maps job for one sample (run now unless one
   * ran before in this session); rejects with the job's error when it fails.
   */
  async function computeMaps(modelId: number, datasetId: number, sampleId: number, threshold: number): Promise<number> {
    const key = `${modelId}:${datasetId}:${sampleId}`;
    const known = mapsJobs.get(key);
    if (known !== undefined) return known;
    const job = await runMapsJob(modelId, datasetId, sampleId, threshold);
    mapsJobs.set(key, job.id);
    return job.id;
  }
  /** Queues a maps job and waits for its end (job.updated). */
  async function runMapsJob(modelId: number, datasetId: number, sampleId: number, threshold: number): Promise<JobSummary> {
    const api = useApi();
    const seen = new Map<number, JobSummary>();
    let wake: (() => void) | null = null;
    const off = api.on('job.updated', (job) => {
      seen.set(job.id, job);
      wake?.();
    });
    try {
      const queued = await api.call('localize.maps', { modelId, datasetId, sampleIds: [sampleId], threshold });
      for (;;) {
        const job = seen.get(queued.id);
        if (job && ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(job.status)) {
          if (job.status !== 'succeeded') throw new Error(`Maps job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ''}`);
          return job;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      off();
    }
  }
  function mapView(jobId: number, sampleId: number, threshold: number): Promise<LocalizeMapView> {
    return useApi().call('localize.mapView', { jobId, sampleId, threshold });
  }

  return { evals, images, map, models, loadEvals, loadImages, loadMap, loadModels, computeMaps, mapView, sampleUrl };
});
