// @vitest-environment happy-dom
/**
 * The import path field: folders continuing what is typed are offered (from
 * datasets.folders, whose refusal is shown as a hint), and where the host has
 * a folder dialog (Electron) Browse… fills the path and detects its format.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import DatasetsPage from '../../src-renderer/src/datasets/DatasetsPage.vue';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import type { FolderSuggestions, FormatDetection } from '../../src-main/common/contract/index.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const detection: FormatDetection = { path: '/data/pets', format: 'imagefolder', candidates: [{ format: 'imagefolder', score: 1, reason: '10 class folders' }], alreadyImported: null };

describe('the import path field', () => {
  it('offers the folders that continue the typed path, and says why when it cannot', async () => {
    mounted = await mountWithApi(DatasetsPage, {
      path: '/datasets',
      handlers: {
        'datasets.list': () => [],
        'datasets.formats': () => [],
        'datasets.folders': ({ path }): FolderSuggestions => {
          if (path.startsWith('/etc')) return { folder: '/etc', folders: [], roots: ['/data'], truncated: false, outside: '/etc is not below an import folder (/data); add one in Settings → Import folders, or type the whole path.' };
          if (path.startsWith('data')) throw new ApiError('invalid_request', '"data" is not an absolute path; start with / (one of the import folders: /data).', 'path');
          return { folder: '/data', folders: [{ name: 'cifar10', path: '/data/cifar10' }, { name: 'cifar100', path: '/data/cifar100' }], roots: ['/data'], truncated: false };
        },
      },
    });
    const w = mounted.wrapper;
    await w.get('[data-test="import-open"]').trigger('click');
    expect(w.find('[data-test="import-path-browse"]').exists()).toBe(false);
    await w.get('[data-test="import-path"]').setValue('/data/ci');
    await flushPromises();
    expect(mounted.api.callsOf('datasets.folders')).toContainEqual({ path: '/data/ci' });
    const options = w.findAll('[data-test="import-path-folders"] option');
    expect(options.map((o) => o.attributes('value'))).toEqual(['/data/cifar10/', '/data/cifar100/']);
    expect(w.get('[data-test="import-path"]').attributes('list')).toBe(w.get('[data-test="import-path-folders"]').attributes('id'));
    await w.get('[data-test="import-path"]').setValue('/etc/');
    await flushPromises();
    expect(w.findAll('[data-test="import-path-folders"] option')).toHaveLength(0);
    expect(w.get('[data-test="import-path-folders-hint"]').text()).toContain('not below an import folder');
    await w.get('[data-test="import-path"]').setValue('data');
    await flushPromises();
    expect(w.get('[data-test="import-path-folders-hint"]').text()).toContain('not an absolute path');
  });

  it('browses with the system folder dialog where the host has one, then detects the format', async () => {
    mounted = await mountWithApi(DatasetsPage, {
      path: '/datasets',
      handlers: { 'datasets.list': () => [], 'datasets.formats': () => [], 'datasets.folders': () => ({ folder: null, folders: [], roots: [], truncated: false }), 'datasets.detect': () => detection },
    });
    mounted.api.pickFolder = () => Promise.resolve('/data/pets');
    const w = mounted.wrapper;
    await w.get('[data-test="import-open"]').trigger('click');
    await w.get('[data-test="import-path-browse"]').trigger('click');
    await flushPromises();
    expect((w.get('[data-test="import-path"]').element as HTMLInputElement).value).toBe('/data/pets');
    expect(mounted.api.callsOf('datasets.detect')).toEqual([{ path: '/data/pets' }]);
    expect(w.get('[data-test="import-detected"]').text()).toContain('10 class folders');
  });

  // A whole path typed outside the import folders is fine (the hint itself says so): once its format
  // is detected, the "not below an import folder" hint no longer stands beside the result.
  it('drops the outside-the-import-folders hint once the typed path is detected', async () => {
    mounted = await mountWithApi(DatasetsPage, {
      path: '/datasets',
      handlers: {
        'datasets.list': () => [],
        'datasets.formats': () => [],
        'datasets.folders': (): FolderSuggestions => ({ folder: '/srv', folders: [], roots: ['/data'], truncated: false, outside: '/srv is not below an import folder (/data); add one in Settings → Import folders, or type the whole path.' }),
        'datasets.detect': () => ({ ...detection, path: '/srv/pets' }),
      },
    });
    const w = mounted.wrapper;
    await w.get('[data-test="import-open"]').trigger('click');
    await w.get('[data-test="import-path"]').setValue('/srv/pets');
    await flushPromises();
    expect(w.get('[data-test="import-path-folders-hint"]').text()).toContain('not below an import folder');
    await w.get('[data-test="import-path"]').trigger('blur');
    await flushPromises();
    expect(w.get('[data-test="import-detected"]').text()).toContain('10 class folders');
    expect(w.find('[data-test="import-path-folders-hint"]').exists()).toBe(false);
  });

  // Clicking Detect (or Browse…) must not take the focus from the path field first: its blur
  // would ask for the same detection once more, and for a missing path show the refusal twice.
  it('keeps the focus in the path field when Detect is pressed, so the path is detected once', async () => {
    mounted = await mountWithApi(DatasetsPage, {
      path: '/datasets',
      handlers: { 'datasets.list': () => [], 'datasets.formats': () => [], 'datasets.folders': () => ({ folder: null, folders: [], roots: [], truncated: false }), 'datasets.detect': () => detection },
    });
    const w = mounted.wrapper;
    await w.get('[data-test="import-open"]').trigger('click');
    await w.get('[data-test="import-path"]').setValue('/data/pets');
    const press = new MouseEvent('mousedown', { bubbles: true, cancelable: true });
    w.get('[data-test="import-path-detect"]').element.dispatchEvent(press);
    expect(press.defaultPrevented).toBe(true);
    await w.get('[data-test="import-path-detect"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('datasets.detect')).toEqual([{ path: '/data/pets' }]);
    expect(w.get('[data-test="import-detected"]').text()).toContain('10 class folders');
  });
});
