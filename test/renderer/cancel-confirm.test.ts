// @vitest-environment happy-dom
/** Cancel asks first when a run has been going for more than a minute, saying what is lost and whether it can be resumed. */
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import ShellJobCard from '../../src-renderer/src/shell/ShellJobCard.vue';
import RunsDetail from '../../src-renderer/src/runs/RunsDetail.vue';
import { cancelWarning } from '../../src-renderer/src/ui/cancel-warning.ts';
import type { JobSummary } from '../../src-main/common/contract/index.ts';
import { useJobsStore } from '../../src-renderer/src/stores/jobs.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

const places = {
  'jobs panel': (j: JobSummary) => mountWithApi(ShellJobCard, { props: { job: j }, handlers: { 'jobs.cancel': ({ id }) => ({ ...j, id, status: 'cancelled' }) } }),
  'run page': async (j: JobSummary) => {
    const m = await mountWithApi(RunsDetail, {
      props: { id: j.id },
      handlers: { 'jobs.get': () => ({ ...j, params: {}, result: null, logs: [] }), 'jobs.metrics': () => [], 'jobs.files': () => [], 'jobs.cancel': ({ id }) => ({ ...j, id, status: 'cancelled' }) },
    });
    useJobsStore().upsert(j);
    await flushPromises();
    return m;
  },
};

describe('cancel asks before it throws long work away', () => {
  it.each(Object.keys(places))('%s: a run of a few seconds cancels at once', async (place) => {
    mounted = await places[place as keyof typeof places](job({ id: 3, status: 'running', startedAt: ago(20) }));
    await mounted.wrapper.get('[data-test="job-cancel"]').trigger('click');
    await flushPromises();
    expect(mounted.wrapper.find('[data-test="cancel-confirm"]').exists()).toBe(false);
    expect(mounted.api.callsOf('jobs.cancel')).toEqual([{ id: 3 }]);
  });

  it.each(Object.keys(places))('%s: a run of over a minute asks, saying it can be resumed; "Keep it running" cancels nothing, "Cancel the job" cancels', async (place) => {
    mounted = await places[place as keyof typeof places](job({ id: 4, title: 'Train ResNet-20', status: 'running', startedAt: ago(300), kindResumable: true }));
    await mounted.wrapper.get('[data-test="job-cancel"]').trigger('click');
    const dialog = mounted.wrapper.get('[data-test="cancel-confirm"]');
    expect(dialog.text()).toContain('Train ResNet-20 has been running for 5m');
    expect(dialog.text()).toContain('can be resumed');
    expect(mounted.api.callsOf('jobs.cancel')).toEqual([]);
    await dialog.get('[data-test="cancel-confirm-no"]').trigger('click');
    expect(mounted.wrapper.find('[data-test="cancel-confirm"]').exists()).toBe(false);
    expect(mounted.api.callsOf('jobs.cancel')).toEqual([]);
    await mounted.wrapper.get('[data-test="job-cancel"]').trigger('click');
    await mounted.wrapper.get('[data-test="cancel-confirm-yes"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('jobs.cancel')).toEqual([{ id: 4 }]);
  });

  it('a kind that cannot resume says the work is lost; a queued job never asks', () => {
    const now = Date.parse('2026-11-25T21:00:00.000Z');
    const long = { title: 'Export model 2', status: 'running' as const, startedAt: '2026-11-25T20:58:00.000Z' };
    expect(cancelWarning({ ...long, kindResumable: false }, now)).toMatch(/loses that work: this kind of job cannot be resumed/);
    expect(cancelWarning({ ...long, kindResumable: true }, now)).toMatch(/can be resumed from that checkpoint/);
    expect(cancelWarning({ ...long, status: 'queued', kindResumable: true }, now)).toBeNull();
    expect(cancelWarning({ ...long, startedAt: '2026-11-25T20:59:30.000Z', kindResumable: true }, now)).toBeNull();
  });
});
