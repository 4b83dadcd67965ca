// @vitest-environment happy-dom
import { describe, it, expect, afterEach, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import DatasetsView from '../../src-renderer/src/datasets/DatasetsView.vue';
import RunsDetail from '../../src-renderer/src/runs/RunsDetail.vue';
import ShellJobsPanel from '../../src-renderer/src/shell/ShellJobsPanel.vue';
import SettingsWorkspaceInfo from '../../src-renderer/src/settings/SettingsWorkspaceInfo.vue';
import { jobKinds } from '../../src-main/common/contract/kinds.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { datasetDetail } from './datasets-fixtures.ts';
import { job, workspaceInfo } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

describe('controls a new user hit first', () => {
  it('the person-id filter of a re-ID set filters the grid (a number input gives a number, not text)', async () => {
    const errors: unknown[] = [];
    const reid = datasetDetail({ format: 'market1501', counts: { ...datasetDetail().counts, identities: 3, cameras: 2 }, cameras: [1, 2] });
    mounted = await mountWithApi(DatasetsView, {
      props: { id: 1 },
      handlers: { 'datasets.get': () => reid, 'datasets.samples': () => ({ total: 0, offset: 0, items: [] }) },
    });
    mounted.wrapper.vm.$.appContext.config.errorHandler = (e) => void errors.push(e);
    await mounted.wrapper.get('[data-test="filter-person"]').setValue('2');
    await flushPromises();
    expect(errors).toEqual([]);
    expect(mounted.api.callsOf('datasets.samples').at(-1)).toMatchObject({ datasetId: 1, personId: 2 });
    await mounted.wrapper.get('[data-test="filter-person"]').setValue('');
    await flushPromises();
    expect(mounted.api.callsOf('datasets.samples').at(-1)).not.toHaveProperty('personId');
  });

  it('a job in the jobs panel opens its page when clicked', async () => {
    const training = job({ id: 12, kind: jobKinds.trainRun, title: 'ResNet-20 on pets' });
    const exportJob = job({ id: 13, kind: 'models.export', title: 'Export model 4', status: 'succeeded', progress: null });
    mounted = await mountWithApi(ShellJobsPanel, { handlers: { 'jobs.list': () => [training, exportJob] } });
    const { useJobsStore } = await import('../../src-renderer/src/stores/jobs.ts');
    await useJobsStore().refresh();
    await flushPromises();
    const link = mounted.wrapper.findAll('a').find((a) => a.text() === 'ResNet-20 on pets')!;
    expect(link.attributes('href')).toBe('/training/12');
    await link.trigger('click');
    // The route's page is loaded lazily: navigation ends once its code is in.
    await vi.waitFor(() => expect(mounted!.router.currentRoute.value.fullPath).toBe('/training/12'), { timeout: 5000 });
    expect(mounted.wrapper.findAll('a').find((a) => a.text() === 'Export model 4')!.attributes('href')).toBe('/runs/13');
  });

  it('Settings shows the open workspace and the one the next start opens as two facts', async () => {
    mounted = await mountWithApi(SettingsWorkspaceInfo, { handlers: { 'workspace.info': () => ({ ...workspaceInfo, nextStartDir: '/data/other-workspace' }) } });
    const { useWorkspaceStore } = await import('../../src-renderer/src/stores/workspace.ts');
    await useWorkspaceStore().load();
    await flushPromises();
    const rows = Object.fromEntries(mounted.wrapper.findAll('[data-test="workspace-info"] tr').map((tr) => [tr.get('th').text(), tr.get('td').text()]));
    expect(rows['Folder']).toBe('/home/lab/workbench');
    expect(rows['Next start opens']).toBe('/data/other-workspace');
  });

  it('the run page writes the engine facts out, library versions included', async () => {
    const finished = job({ id: 21, status: 'succeeded', progress: null, engine: { backend: 'cpu', threads: 2, versions: { 'tfjs-core': '4.22.0', native: '1' } } });
    mounted = await mountWithApi(RunsDetail, {
      props: { id: 21 },
      handlers: { 'jobs.get': () => ({ ...finished, params: {}, result: null, logs: [] }), 'jobs.metrics': () => [] },
    });
    await flushPromises();
    const text = mounted.wrapper.get('[data-test="run-engine"]').text();
    expect(text).toBe('backend: cpu · threads: 2 · versions: tfjs-core 4.22.0, native 1');
    expect(mounted.wrapper.text()).not.toContain('[object Object]');
  });
});
