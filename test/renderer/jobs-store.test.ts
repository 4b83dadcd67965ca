// @vitest-environment happy-dom
import { describe, it, expect, beforeEach } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { flushPromises } from '@vue/test-utils';
import { installApi } from '../../src-renderer/src/api/index.ts';
import { useJobsStore } from '../../src-renderer/src/stores/jobs.ts';
import { FakeApi } from './fake-api.ts';
import { job } from './fixtures.ts';

describe('jobs store', () => {
  let api: FakeApi;
  let listed = [job({ id: 1 }), job({ id: 2, status: 'interrupted', progress: null })];

  beforeEach(() => {
    listed = [job({ id: 2, status: 'interrupted', progress: null }), job({ id: 1 })];
    api = new FakeApi({
      'jobs.list': () => listed,
      'jobs.cancel': ({ id }) => job({ id, status: 'cancelled' }),
      'jobs.resume': ({ id }) => job({ id: 10, parentJobId: id, status: 'queued', progress: null }),
    });
    installApi(api);
    setActivePinia(createPinia());
  });

  it('loads the list and sorts out running, queued and resumable jobs', async () => {
    const store = useJobsStore();
    await store.start();
    expect(store.jobs.map((j) => j.id)).toEqual([2, 1]);
    expect(store.running.map((j) => j.id)).toEqual([1]);
    expect(store.resumable.map((j) => j.id)).toEqual([2]);
  });

  it('follows job.updated, job.progress, job.log and job.metrics events', async () => {
    const store = useJobsStore();
    await store.start();
    api.emit('job.updated', job({ id: 3, status: 'queued', progress: null, title: 'New' }));
    expect(store.jobs[0]?.id).toBe(3);
    api.emit('job.progress', { id: 1, progress: { fraction: 0.9, step: 'epoch 11/12', throughput: null, etaSeconds: 4 } });
    expect(store.byId(1)?.progress?.fraction).toBe(0.9);
    api.emit('job.log', { id: 1, ts: '2026-11-25T20:00:02Z', level: 'info', line: 'epoch 11 done' });
    expect(store.logs[1]?.map((l) => l.line)).toEqual(['epoch 11 done']);
    api.emit('job.metrics', { id: 1, points: [{ step: 1, epoch: 1, name: 'loss', value: 2.1 }] });
    api.emit('job.metrics', { id: 1, points: [{ step: 2, epoch: 2, name: 'loss', value: 1.7 }] });
    expect(store.metrics[1]?.map((p) => p.value)).toEqual([2.1, 1.7]);
  });

  it('refetches the list when the backend says jobs changed, and subscribes only once', async () => {
    const store = useJobsStore();
    await store.start();
    await store.start();
    expect(api.listenerCount('job.updated')).toBe(1);
    listed = [job({ id: 5 })];
    api.emit('data.changed', { what: 'jobs' });
    await flushPromises();
    expect(store.jobs.map((j) => j.id)).toEqual([5]);
    store.stop();
    expect(api.listenerCount('job.updated')).toBe(0);
  });

  it('cancel and resume go through the contract and update the list', async () => {
    const store = useJobsStore();
    await store.start();
    await store.cancel(1);
    expect(api.callsOf('jobs.cancel')).toEqual([{ id: 1 }]);
    expect(store.byId(1)?.status).toBe('cancelled');
    const resumed = await store.resume(2);
    expect(resumed.parentJobId).toBe(2);
    expect(store.byId(10)?.status).toBe('queued');
  });

  it('keeps the error message when the list cannot load', async () => {
    api.handle('jobs.list', () => {
      throw new Error('database is locked');
    });
    const store = useJobsStore();
    await store.start();
    expect(store.error).toBe('database is locked');
    expect(store.loaded).toBe(true);
  });
});
