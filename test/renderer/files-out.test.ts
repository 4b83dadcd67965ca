// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import RunsDetail from '../../src-renderer/src/runs/RunsDetail.vue';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

describe('files out of a run', () => {
  it('lists the files a job left with absolute paths and saves one on Download', async () => {
    const exported = job({ id: 30, kind: 'models.export', title: 'Export model 4 to TF.js', status: 'succeeded', progress: null });
    const files = [
      { kind: 'export-tfjs', path: '/home/lab/workbench/artifacts/exports/job-30/model.json', sizeBytes: 2048 },
      { kind: 'export-tfjs', path: '/home/lab/workbench/artifacts/exports/job-30/group1-shard1of1.bin', sizeBytes: 1_100_000 },
    ];
    mounted = await mountWithApi(RunsDetail, {
      props: { id: 30 },
      handlers: { 'jobs.get': () => ({ ...exported, params: {}, result: null, logs: [] }), 'jobs.metrics': () => [], 'jobs.files': () => files },
    });
    await flushPromises();
    const w = mounted.wrapper;
    expect(w.findAll('[data-test="file-path"]').map((c) => c.text())).toEqual(files.map((f) => f.path));
    await w.get('[data-test="download-group1-shard1of1.bin"]').trigger('click');
    await flushPromises();
    expect(mounted.api.downloads).toEqual(['/home/lab/workbench/artifacts/exports/job-30/group1-shard1of1.bin']);
    // The browser host offers no Show in folder (only Electron can).
    expect(w.text()).not.toContain('Show in folder');
  });
});
