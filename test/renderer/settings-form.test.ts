// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import SettingsPage from '../../src-renderer/src/settings/SettingsPage.vue';
import App from '../../src-renderer/src/App.vue';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { settings } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
  delete document.documentElement.dataset.theme;
});

/** What the form sends when the import folders are left alone: everything but them. */
const { importRoots: _roots, ...editable } = settings;

describe('settings form', () => {
  it('shows a rejected field next to that field, not as a page error', async () => {
    mounted = await mountWithApi(SettingsPage, {
      handlers: {
        'settings.set': () => {
          throw new ApiError('invalid_request', 'Must be at most 8', 'computeConcurrency');
        },
      },
    });
    await mounted.wrapper.get('[data-test="set-concurrency"]').setValue('12');
    await mounted.wrapper.get('[data-test="settings-form"]').trigger('submit');
    await flushPromises();
    const error = mounted.wrapper.get('#set-concurrency-error');
    expect(error.text()).toBe('Must be at most 8');
    expect(mounted.wrapper.get('[data-test="set-concurrency"]').attributes('aria-invalid')).toBe('true');
    expect(mounted.wrapper.find('#set-theme-error').exists()).toBe(false);
    expect(mounted.api.callsOf('settings.set')).toEqual([{ theme: 'system', backend: 'auto', computeConcurrency: 12, limits: settings.limits }]);
  });

  it('saves a raised resource limit with the rest, and shows a refused one next to its field', async () => {
    mounted = await mountWithApi(SettingsPage, {
      handlers: {
        'settings.set': (patch) => {
          if ((patch.limits?.maxImageFileBytes ?? 1) < 1) throw new ApiError('invalid_request', 'Must be at least 1', 'limits.maxImageFileBytes');
          return { ...settings, ...patch, limits: { ...settings.limits, ...patch.limits } };
        },
      },
    });
    await mounted.wrapper.get('[data-test="set-maxImagePixels"]').setValue('400000000');
    await mounted.wrapper.get('[data-test="settings-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('settings.set')).toEqual([{ ...editable, limits: { ...settings.limits, maxImagePixels: 400000000 } }]);
    await mounted.wrapper.get('[data-test="set-maxImageFileBytes"]').setValue('0');
    await mounted.wrapper.get('[data-test="settings-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.wrapper.get('#set-maxImageFileBytes-error').text()).toBe('Must be at least 1');
    expect(mounted.wrapper.find('#set-maxImagePixels-error').exists()).toBe(false);
  });

  it('shows an error without a field once for the form', async () => {
    mounted = await mountWithApi(SettingsPage, {
      handlers: {
        'settings.set': () => {
          throw new ApiError('failed', 'The database is read-only');
        },
      },
    });
    await mounted.wrapper.get('[data-test="settings-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="settings-form"] [role="alert"]').text()).toBe('The database is read-only');
  });

  it('applies and keeps a theme as soon as it is chosen, before Save; shows the workspace location', async () => {
    mounted = await mountWithApi(App, { path: '/settings' });
    expect(mounted.wrapper.get('[data-test="workspace-info"]').text()).toContain('/home/lab/workbench');
    expect(document.documentElement.dataset.theme).toBe('light');
    await mounted.wrapper.get('[data-test="set-theme"]').setValue('dark');
    await flushPromises();
    expect(mounted.api.callsOf('settings.set')).toEqual([{ theme: 'dark' }]);
    expect(document.documentElement.dataset.theme).toBe('dark');
    await mounted.wrapper.get('[data-test="settings-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('settings.set')).toEqual([{ theme: 'dark' }, { ...editable, theme: 'dark' }]);
    expect(mounted.wrapper.find('[data-test="settings-saved"]').exists()).toBe(true);
  });
});

describe('settings form loading', () => {
  it('keeps an edit made before the settings finished loading', async () => {
    let release: () => void = () => {};
    const loaded = new Promise<void>((r) => (release = r));
    mounted = await mountWithApi(SettingsPage, {
      handlers: {
        'settings.get': async () => {
          await loaded;
          return { ...settings };
        },
      },
    });
    await mounted.wrapper.get('[data-test="set-theme"]').setValue('dark');
    release();
    await flushPromises();
    expect((mounted.wrapper.get('[data-test="set-theme"]').element as HTMLSelectElement).value).toBe('dark');
    await mounted.wrapper.get('[data-test="settings-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('settings.set')).toEqual([{ theme: 'dark' }, { ...editable, theme: 'dark' }]);
  });

  it('sends the import folders, one per line, only once they are edited', async () => {
    mounted = await mountWithApi(SettingsPage, { handlers: { 'settings.get': () => settings, 'settings.set': (r) => ({ ...settings, ...r }) as typeof settings } });
    expect((mounted.wrapper.get('[data-test="set-import-roots"]').element as HTMLTextAreaElement).value).toBe('/home/lab\n/data');
    await mounted.wrapper.get('[data-test="set-import-roots"]').setValue('/data\n\n  /mnt/nas  \n');
    await mounted.wrapper.get('[data-test="settings-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('settings.set')).toEqual([{ ...editable, importRoots: ['/data', '/mnt/nas'] }]);
  });
});
