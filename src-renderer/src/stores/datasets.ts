import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import {
  jobKinds,
  type DatasetDetail, type DatasetSplit, type DatasetStats, type DatasetSummary, type FolderSuggestions, type FormatDetection, type ImportReport, type JobSummary, type Req, type Res, type SampleDetail,
} from '../../../src-main/common/contract/index.ts';
import { useApi } from '../api/index.ts';
import { SamplePages } from '../datasets/sample-pages.ts';
import { followJobs } from './follow-jobs.ts';

export type SampleFilter = Omit<Req<'datasets.samples'>, 'offset' | 'limit' | 'datasetId'>;

/** The job kinds that add a dataset. */
export const datasetJobKinds = [jobKinds.datasetsImport, jobKinds.spganTranslate, jobKinds.localizeGenerate, jobKinds.adaptGenerate] as const;

export const useDatasetsStore = defineStore('datasets', () => {
  const list = ref<DatasetSummary[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const details = ref<Record<number, DatasetDetail>>({});
  const stats = ref<Record<number, DatasetStats>>({});
  const formats = ref<Res<'datasets.formats'>>([]);
  /** The splits of each dataset looked at (the imported one first), for the Splits tab and the forms' split pickers. */
  const splits = ref<Record<number, DatasetSplit[]>>({});
  /** What the last look at a folder to import found (its format, whether it is imported already). */
  const detection = ref<FormatDetection | null>(null);
  /** Bumped when a page of samples arrives (SamplePages lives outside Vue's reactivity for speed). */
  const pagesVersion = ref(0);
  const pages = shallowRef<SamplePages | null>(null);
  let subscribed = false;

  async function load(): Promise<void> {
    const api = useApi();
    if (!subscribed) {
      subscribed = true;
      // An import, a translation or a generated set adds a dataset when its job ends; renames, splits and removals say data.changed.
      followJobs(datasetJobKinds, () => {
        void load();
        for (const id of Object.keys(splits.value)) void loadSplits(Number(id));
      }, ['datasets']);
    }
    try {
      list.value = await api.call('datasets.list', {});
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loaded.value = true;
    }
  }

  async function loadSplits(id: number): Promise<DatasetSplit[]> {
    const result = await useApi().call('datasets.splits.list', { id });
    splits.value[id] = result;
    return result;
  }

  /** Makes a named split; the list refreshes through the data.changed event and here at once. */
  async function createSplit(req: Req<'datasets.splits.create'>): Promise<DatasetSplit> {
    const made = await useApi().call('datasets.splits.create', req);
    await loadSplits(req.datasetId);
    return made;
  }

  async function removeSplit(id: number, name: string): Promise<void> {
    await useApi().call('datasets.splits.remove', { id, name });
    await loadSplits(id);
  }

  async function loadFormats(): Promise<void> {
    if (!formats.value.length) formats.value = await useApi().call('datasets.formats', {});
  }

  async function loadDetail(id: number): Promise<DatasetDetail> {
    const detail = await useApi().call('datasets.get', { id });
    details.value[id] = detail;
    return detail;
  }

  async function loadStats(id: number): Promise<DatasetStats> {
    const result = await useApi().call('datasets.stats', { id });
    stats.value[id] = result;
    return result;
  }

  /** Folders to offer while an import path is typed (below the settings' import roots). */
  function suggestFolders(path: string): Promise<FolderSuggestions> {
    return useApi().call('datasets.folders', { path });
  }

  /** The system's folder dialog where the host has one (Electron); null when cancelled or absent. */
  const canPickFolder = (): boolean => !!useApi().pickFolder;
  async function pickFolder(): Promise<string | null> {
    const api = useApi();
    return api.pickFolder ? api.pickFolder() : null;
  }

  async function detect(path: string): Promise<FormatDetection> {
    detection.value = null;
    detection.value = await useApi().call('datasets.detect', { path });
    return detection.value;
  }

  /** Starts the import job; the jobs store follows it, `importReport` reads its result. */
  function startImport(params: Req<'datasets.import'>): Promise<JobSummary> {
    return useApi().call('datasets.import', params);
  }

  async function importReport(jobId: number): Promise<ImportReport | null> {
    const detail = await useApi().call('jobs.get', { id: jobId });
    const result = detail.result as (ImportReport & { report?: undefined }) | { report: ImportReport } | null;
    // The job returns the report itself (as the contract says) or wrapped with its index files.
    if (result && 'report' in result && result.report) return result.report;
    return (result as ImportReport | null) ?? null;
  }

  /** Starts browsing samples of a dataset with a filter (drops any previous one). */
  function browse(datasetId: number, filter: SampleFilter, pageSize = 200): SamplePages {
    const api = useApi();
    const clean = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined && v !== '')) as SampleFilter;
    const created = new SamplePages(
      (offset, limit) => api.call('datasets.samples', { datasetId, ...clean, offset, limit }),
      pageSize,
      () => {
        if (pages.value === created) pagesVersion.value++;
      },
    );
    pages.value = created;
    pagesVersion.value++;
    return created;
  }

  function sample(id: number): Promise<SampleDetail> {
    return useApi().call('datasets.sample', { id });
  }

  function thumbUrl(sampleId: number, size = 128): string {
    return useApi().sampleUrl(sampleId, { thumb: size });
  }

  function imageUrl(sampleId: number): string {
    return useApi().sampleUrl(sampleId);
  }

  /** Renames; throws the ApiError (field `name`) for the form. */
  async function rename(id: number, name: string): Promise<void> {
    const summary = await useApi().call('datasets.rename', { id, name });
    list.value = list.value.map((d) => (d.id === id ? summary : d));
    const detail = details.value[id];
    if (detail) details.value[id] = { ...detail, name: summary.name };
  }

  function verify(id: number) {
    return useApi().call('datasets.verify', { id });
  }

  async function remove(id: number): Promise<void> {
    await useApi().call('datasets.delete', { id });
    list.value = list.value.filter((d) => d.id !== id);
  }

  return { list, loaded, error, details, stats, formats, detection, pages, pagesVersion, load, loadFormats, loadDetail, loadStats, suggestFolders, canPickFolder, pickFolder, detect, startImport, importReport, browse, sample, thumbUrl, imageUrl, rename, verify, remove, splits, loadSplits, createSplit, removeSplit };
});
