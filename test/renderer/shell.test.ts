// @vitest-environment happy-dom
import { describe, it, expect, afterEach, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import App from '../../src-renderer/src/App.vue';
import ShellStatusBar from '../../src-renderer/src/shell/ShellStatusBar.vue';
import ShellJobsPanel from '../../src-renderer/src/shell/ShellJobsPanel.vue';
import { useEngineStore } from '../../src-renderer/src/stores/engine.ts';
import { useJobsStore } from '../../src-renderer/src/stores/jobs.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { job } from './fixtures.ts';
import { isMac } from '../../src-renderer/src/shell/use-shortcuts.ts';
import { areas } from '../../src-renderer/src/router/areas.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

describe('status bar', () => {
  it('shows the engine (backend, device, threads, SIMD) and the queue', async () => {
    mounted = await mountWithApi(ShellStatusBar, {
      handlers: { 'jobs.list': () => [job({ id: 1 }), job({ id: 2, status: 'queued' }), job({ id: 3, status: 'queued' })] },
    });
    await Promise.all([useEngineStore().load(), useJobsStore().start()]);
    await flushPromises();
    const text = mounted.wrapper.get('[data-test="engine"]').text();
    expect(text).toContain('wasm');
    expect(text).toContain('CPU');
    expect(text).toContain('2 threads');
    expect(text).toContain('SIMD on');
    expect(mounted.wrapper.get('[data-test="queue"]').text()).toBe('1 running · 2 queued');
  });

  it('counts resumable jobs without calling cancelled ones interrupted', async () => {
    mounted = await mountWithApi(ShellStatusBar, {
      handlers: {
        'jobs.list': () => [
          job({ id: 1, status: 'interrupted', resumable: true, progress: null }),
          job({ id: 2, status: 'cancelled', resumable: true, progress: null }),
        ],
      },
    });
    await Promise.all([useEngineStore().load(), useJobsStore().start()]);
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="resumable"]').text()).toBe('2 jobs can be resumed');
  });

  it('says when the engine cannot be probed', async () => {
    mounted = await mountWithApi(ShellStatusBar, {
      handlers: {
        'engine.info': () => {
          throw new Error('job process crashed');
        },
      },
    });
    await useEngineStore().load();
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="engine"]').text()).toContain('Engine unavailable: job process crashed');
  });
});

describe('jobs panel', () => {
  it('shows live progress (fraction, step, throughput, ETA, log) and cancels', async () => {
    mounted = await mountWithApi(ShellJobsPanel, {
      handlers: {
        'jobs.list': () => [job({ id: 7 })],
        'jobs.cancel': ({ id }) => job({ id, status: 'cancelled', progress: null }),
      },
    });
    const store = useJobsStore();
    await store.start();
    await flushPromises();
    const card = mounted.wrapper.get('[data-test="job-7"]');
    expect(card.get('[data-test="job-fraction"]').text()).toBe('25%');
    expect(card.get('[data-test="job-step"]').text()).toBe('epoch 3/12');
    expect(card.get('[data-test="job-throughput"]').text()).toBe('412.5 img/s');
    expect(card.get('[data-test="job-eta"]').text()).toBe('ETA 2m 05s');

    mounted.api.emit('job.progress', { id: 7, progress: { fraction: 0.5, step: 'epoch 6/12', throughput: null, etaSeconds: null } });
    mounted.api.emit('job.log', { id: 7, ts: '2026-11-25T20:01:00Z', level: 'info', line: 'epoch 6: loss 0.91' });
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="job-fraction"]').text()).toBe('50%');
    expect(mounted.wrapper.get('[data-test="job-log"]').text()).toContain('epoch 6: loss 0.91');
    expect(mounted.wrapper.get('[role="progressbar"]').attributes('aria-valuenow')).toBe('50');

    // Running for longer than a minute: the cancel asks first.
    await mounted.wrapper.get('[data-test="job-cancel"]').trigger('click');
    await mounted.wrapper.get('[data-test="cancel-confirm-yes"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('jobs.cancel')).toEqual([{ id: 7 }]);
    expect(mounted.wrapper.get('[data-test="job-7"] [data-test="job-status"]').text()).toBe('cancelled');
    expect(mounted.wrapper.find('[data-test="job-cancel"]').exists()).toBe(false);
  });

  it('offers interrupted resumable jobs for resume', async () => {
    mounted = await mountWithApi(ShellJobsPanel, {
      handlers: {
        'jobs.list': () => [job({ id: 4, status: 'interrupted', progress: null })],
        'jobs.resume': ({ id }) => job({ id: 5, parentJobId: id, status: 'queued', progress: null }),
      },
    });
    await useJobsStore().start();
    await flushPromises();
    await mounted.wrapper.get('[data-test="job-4"] [data-test="job-resume"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('jobs.resume')).toEqual([{ id: 4 }]);
    expect(mounted.wrapper.find('[data-test="job-5"]').exists()).toBe(true);
  });

  it('says what to do when there are no jobs', async () => {
    mounted = await mountWithApi(ShellJobsPanel);
    await useJobsStore().start();
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="empty-state"]').text()).toContain('No jobs yet');
  });
});

describe('keyboard accelerators', () => {
  it('CmdOrCtrl+digit switches areas, CmdOrCtrl+, opens settings, CmdOrCtrl+J toggles the jobs panel', async () => {
    mounted = await mountWithApi(App, { path: '/datasets' });
    const press = async (key: string) => {
      window.dispatchEvent(new KeyboardEvent('keydown', { key, ctrlKey: !isMac(), metaKey: isMac(), bubbles: true }));
      await flushPromises();
      await mounted?.router.isReady();
      await new Promise((r) => setTimeout(r, 20));
    };
    await press('6');
    await vi.waitFor(() => expect(mounted?.router.currentRoute.value.path).toBe('/runs'));
    await press(',');
    await vi.waitFor(() => expect(mounted?.router.currentRoute.value.path).toBe('/settings'));
    expect(mounted.wrapper.find('[data-test="jobs-panel"]').exists()).toBe(false);
    await press('j');
    expect(mounted.wrapper.find('[data-test="jobs-panel"]').exists()).toBe(true);
    await press('j');
    expect(mounted.wrapper.find('[data-test="jobs-panel"]').exists()).toBe(false);
  });

  // The sidebar shows only keys that work: each shown shortcut, pressed, opens its own area.
  it('every shortcut the sidebar shows opens its area, and none is a key that cannot be pressed', async () => {
    mounted = await mountWithApi(App, { path: '/datasets' });
    const links = mounted.wrapper.findAll('.nav-link');
    expect(links.length).toBe(areas.length);
    let shown = 0;
    for (const [i, link] of links.entries()) {
      const kbd = link.find('kbd');
      if (!kbd.exists()) continue;
      shown++;
      const key = kbd.text().replace(/^(Ctrl\+|⌘)/, '');
      expect(key, kbd.text()).toMatch(/^[1-9,]$/);
      if (areas[i]!.path !== '/datasets') {
        await mounted.router.push('/datasets');
      } else {
        await mounted.router.push('/runs');
      }
      window.dispatchEvent(new KeyboardEvent('keydown', { key, ctrlKey: !isMac(), metaKey: isMac(), bubbles: true }));
      await vi.waitFor(() => expect(mounted?.router.currentRoute.value.path, kbd.text()).toBe(areas[i]!.path), { timeout: 15_000 });
    }
    expect(shown).toBe(areas.length);
    expect(links.at(-1)!.get('kbd').text()).toMatch(/,$/);
  }, 120_000);
});
