// @vitest-environment happy-dom
import { describe, it, expect, afterEach, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import DatasetsPage from '../../src-renderer/src/datasets/DatasetsPage.vue';
import DatasetsView from '../../src-renderer/src/datasets/DatasetsView.vue';
import { SamplePages } from '../../src-renderer/src/datasets/sample-pages.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import type { ImportReport, Req } from '../../src-main/common/contract/index.ts';
import { useJobsStore } from '../../src-renderer/src/stores/jobs.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset, datasetDetail, sampleAt, sampleDetail } from './datasets-fixtures.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

function samplesHandler(total: number) {
  return (req: Req<'datasets.samples'>) => {
    const offset = req.offset ?? 0;
    const limit = req.limit ?? 200;
    const n = Math.max(0, Math.min(limit, total - offset));
    return { total, offset, items: Array.from({ length: n }, (_, i) => sampleAt(offset + i)) };
  };
}

describe('sample pages', () => {
  it('fetches only the pages a range needs, once each, and stops at the total', async () => {
    const fetched: number[] = [];
    const pages = new SamplePages(async (offset, limit) => {
      fetched.push(offset);
      return samplesHandler(450)({ datasetId: 1, offset, limit });
    }, 200);
    await Promise.all([pages.ensure(0, 10), pages.ensure(5, 250)]);
    expect(fetched).toEqual([0, 200]);
    expect(pages.total).toBe(450);
    expect(pages.get(250)?.index).toBe(250);
    await pages.ensure(0, 5000);
    expect(fetched).toEqual([0, 200, 400]);
    expect(pages.get(449)?.index).toBe(449);
    expect(pages.get(450)).toBeUndefined();
  });
});

describe('datasets list and import', () => {
  it('says what to do when there are no datasets', async () => {
    mounted = await mountWithApi(DatasetsPage, { handlers: { 'datasets.list': () => [] }, path: '/datasets' });
    expect(mounted.wrapper.get('[data-test="empty-state"]').text()).toContain('Import a folder of images');
  });

  it('lists datasets with counts, format, size and source', async () => {
    mounted = await mountWithApi(DatasetsPage, {
      handlers: {
        'datasets.list': () => [
          dataset({ namedSplits: ['random-20-s0'] }),
          dataset({ id: 2, name: 'market', format: 'market1501', counts: { ...dataset().counts, identities: 751, cameras: 6, splits: { none: 61 } }, namedSplits: ['reid-a', 'reid-b'] }),
        ],
      },
      path: '/datasets',
    });
    const rows = mounted.wrapper.findAll('[data-test="datasets-table"] tbody tr');
    expect(rows).toHaveLength(2);
    expect(mounted.wrapper.get('[data-test="dataset-splits-1"]').text()).toContain('split random-20-s0');
    expect(mounted.wrapper.get('[data-test="dataset-splits-2"]').text()).toContain('2 named splits');
    // Samples without a split, not a split called "none".
    expect(mounted.wrapper.get('[data-test="dataset-splits-2"]').text()).toMatch(/^no split 61\b/);
    expect(mounted.wrapper.get('[data-test="dataset-splits-1"]').text()).toMatch(/^train 90000 · test 10000/);
    expect(rows[0]!.text()).toContain('pets');
    expect(rows[0]!.text()).toContain('100.0 k');
    expect(rows[0]!.text()).toContain('/data/pets');
    expect(rows[1]!.text()).toContain('751');
  });

  it('shows an import error next to the path field', async () => {
    mounted = await mountWithApi(DatasetsPage, {
      handlers: {
        'datasets.list': () => [],
        'datasets.formats': () => [],
        'datasets.detect': () => {
          throw new ApiError('not_found', 'No folder at /nope', 'path');
        },
        'datasets.import': () => {
          throw new ApiError('not_found', 'No folder at /nope', 'path');
        },
      },
      path: '/datasets',
    });
    await mounted.wrapper.get('[data-test="import-open"]').trigger('click');
    await mounted.wrapper.get('[data-test="import-path"]').setValue('/nope');
    await mounted.wrapper.get('[data-test="import-dialog"] form').trigger('submit');
    await flushPromises();
    expect(mounted.wrapper.get('#import-path-error').text()).toBe('No folder at /nope');
    expect(mounted.wrapper.find('#import-name-error').exists()).toBe(false);
  });

  it('submits the import job, follows it and shows the report with per-file problems', async () => {
    const report: ImportReport = {
      datasetId: 3, name: 'pets', format: 'imagefolder', formatSource: 'detected', rootPath: '/data/pets',
      counts: dataset().counts, filesSeen: 12, problems: [{ file: 'cat/broken.png', code: 'corrupt_image', message: 'not a PNG: bad header' }],
      problemCount: 1, warnings: [], durationMs: 1500, samplesPerSecond: 8,
    };
    mounted = await mountWithApi(DatasetsPage, {
      handlers: {
        'datasets.list': () => [],
        'datasets.formats': () => [{ format: 'imagefolder', title: 'Class folders', layout: 'root/<class>/<image>', decoded: false }],
        'datasets.detect': ({ path }) => ({ path, format: 'imagefolder', candidates: [{ format: 'imagefolder', score: 1, reason: '3 class folders' }], alreadyImported: null }),
        'datasets.import': () => job({ id: 9, kind: 'datasets.import', status: 'queued', progress: null }),
        'jobs.get': ({ id }) => ({ ...job({ id, status: 'succeeded' }), params: {}, result: report, logs: [] }),
      },
      path: '/datasets',
    });
    await mounted.wrapper.get('[data-test="import-open"]').trigger('click');
    await mounted.wrapper.get('[data-test="import-path"]').setValue('/data/pets');
    await mounted.wrapper.get('[data-test="import-path"]').trigger('blur');
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="import-detected"]').text()).toContain('Class folders');
    await mounted.wrapper.get('[data-test="import-dialog"] form').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('datasets.import')).toEqual([{ path: '/data/pets', format: 'auto', followLinksOut: false }]);
    mounted.api.emit('job.updated', job({ id: 9, kind: 'datasets.import', status: 'succeeded', progress: null }));
    await vi.waitFor(() => expect(mounted?.wrapper.find('[data-test="import-report"]').exists()).toBe(true), { timeout: 3000 });
    expect(mounted.wrapper.get('[data-test="import-problems"]').text()).toContain('cat/broken.png');
    expect(mounted.wrapper.get('[data-test="import-open-dataset"]').attributes('href')).toContain('/datasets/3');
    expect(useJobsStore().byId(9)?.status).toBe('succeeded');
  });

  it('imports an already imported folder again only when asked to', async () => {
    mounted = await mountWithApi(DatasetsPage, {
      handlers: {
        'datasets.list': () => [],
        'datasets.formats': () => [{ format: 'dukemtmc', title: 'DukeMTMC-reID', layout: '', decoded: false }],
        'datasets.detect': ({ path }) => ({ path, format: 'dukemtmc', candidates: [{ format: 'dukemtmc', score: 1, reason: 'Duke names' }], alreadyImported: { datasetId: 4, name: 'duke' } }),
        'datasets.import': () => job({ id: 10, kind: 'datasets.import', status: 'queued', progress: null }),
      },
      path: '/datasets',
    });
    await mounted.wrapper.get('[data-test="import-open"]').trigger('click');
    expect(mounted.wrapper.find('[data-test="import-again"]').exists()).toBe(false);
    await mounted.wrapper.get('[data-test="import-path"]').setValue('/data/duke');
    await mounted.wrapper.get('[data-test="import-path"]').trigger('blur');
    await flushPromises();
    await mounted.wrapper.get('[data-test="import-again"]').setValue(true);
    // Following links out of the folder is asked for explicitly.
    await mounted.wrapper.get('[data-test="import-links-out"]').setValue(true);
    await mounted.wrapper.get('[data-test="import-dialog"] form').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('datasets.import')).toEqual([{ path: '/data/duke', format: 'auto', followLinksOut: true, allowDuplicate: true }]);
  });
});

describe('dataset view', () => {
  const handlers = (total: number) => ({
    'datasets.get': () => datasetDetail(),
    'datasets.samples': samplesHandler(total),
    'datasets.sample': ({ id }: { id: number }) => sampleDetail(id),
  });

  it('renders only the visible rows of 100,000 images and fetches only their pages', async () => {
    mounted = await mountWithApi(DatasetsView, { handlers: handlers(100_000), props: { id: 1 } });
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="grid-count"]').text()).toBe(`${(100_000).toLocaleString()} images`);
    const thumbs = mounted.wrapper.findAll('[data-test^="thumb-"]');
    expect(thumbs.length).toBeGreaterThan(0);
    expect(thumbs.length).toBeLessThan(300);
    expect(mounted.api.callsOf('datasets.samples').length).toBeLessThanOrEqual(2);
    // Images are requested once a cell has stayed on screen for a moment.
    expect(thumbs[0]!.find('img').exists()).toBe(false);
    await new Promise((r) => setTimeout(r, 150));
    // 32x32 samples fit the 132 px cell: fetched as they are, not upscaled by the host.
    expect(thumbs[0]!.get('img').attributes('src')).toBe('test-sample://1');
  });

  it('sends the class, split and search filters to the backend', async () => {
    mounted = await mountWithApi(DatasetsView, { handlers: handlers(500), props: { id: 1 } });
    await mounted.wrapper.get('[data-test="filter-class"]').setValue('2');
    await mounted.wrapper.get('[data-test="filter-split"]').setValue('test');
    await mounted.wrapper.get('[data-test="filter-search"]').setValue('img_1');
    await new Promise((r) => setTimeout(r, 300));
    await flushPromises();
    const last = mounted.api.callsOf('datasets.samples').at(-1);
    expect(last).toMatchObject({ datasetId: 1, label: 2, split: 'test', search: 'img_1', offset: 0 });
  });

  it('arrow keys move the focus through the grid: a cell, a row, the ends', async () => {
    // 40 images: every row is rendered in the test DOM (it has no layout to scroll).
    mounted = await mountWithApi(DatasetsView, { handlers: handlers(40), props: { id: 1 } });
    await flushPromises();
    const focused = () => (document.activeElement as HTMLElement | null)?.dataset.index;
    // The grid lays out as many 132 px cells as its width holds: the test DOM has no layout, so the fallback width (960 px) holds 6 (with their 8 px gaps).
    const columns = 6;
    const press = async (key: string) => {
      document.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
      await flushPromises();
      await new Promise((r) => setTimeout(r, 40));
    };
    (mounted.wrapper.get('[data-test="thumb-0"]').element as HTMLElement).focus();
    await press('ArrowRight');
    expect(focused()).toBe('1');
    await press('ArrowDown');
    expect(focused()).toBe(String(1 + columns));
    await press('ArrowLeft');
    await press('ArrowUp');
    expect(focused()).toBe('0');
    await press('ArrowUp');
    expect(focused()).toBe('0');
    await press('End');
    expect(focused()).toBe('39');
    await press('Home');
    expect(focused()).toBe('0');
    // While the image detail is open the arrows step through images there, not through the grid.
    await mounted.wrapper.get('[data-test="thumb-0"]').trigger('click');
    await flushPromises();
    await press('ArrowRight');
    expect(mounted.wrapper.get('[data-test="detail-position"]').text()).toBe('2 / 40');
    expect(focused()).toBe('0');
  });

  it('opens an image with its metadata and boxes, and moves with the arrow keys', async () => {
    mounted = await mountWithApi(DatasetsView, { handlers: handlers(500), props: { id: 1 } });
    await mounted.wrapper.get('[data-test="thumb-0"]').trigger('click');
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="detail-position"]').text()).toBe('1 / 500');
    expect(mounted.wrapper.get('[data-test="fact-File"]').text()).toBe('cat/img_0.png');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }));
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="detail-position"]').text()).toBe('2 / 500');
    expect(mounted.wrapper.get('[data-test="fact-File"]').text()).toBe('dog/img_1.png');
    // The sample id other pages ask for, first; a format's own keys as captions, not as code names.
    expect(mounted.wrapper.findAll('.facts th').map((th) => th.text())).toEqual(['Sample id', 'File', 'Index', 'Class', 'Split', 'Size', 'File size', 'Boxes', 'Blob index']);
    expect(mounted.wrapper.get('[data-test="fact-Sample id"]').text()).toBe('2');
    expect(mounted.wrapper.findAll('[data-test="detail-boxes"] rect')).toHaveLength(1);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft' }));
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft' }));
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="detail-position"]').text()).toBe('1 / 500');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await flushPromises();
    expect(mounted.wrapper.find('[data-test="image-detail"]').exists()).toBe(false);
  });
});

describe('dataset actions', () => {
  it('renames a dataset, showing a rejected name next to the field', async () => {
    let attempts = 0;
    mounted = await mountWithApi(DatasetsView, {
      props: { id: 1 },
      handlers: {
        'datasets.get': () => datasetDetail(),
        'datasets.samples': samplesHandler(3),
        'datasets.rename': ({ name }) => {
          if (attempts++ === 0) throw new ApiError('conflict', 'A dataset named pets2 exists', 'name');
          return dataset({ name });
        },
      },
    });
    await mounted.wrapper.get('[data-test="dataset-rename"]').trigger('click');
    await mounted.wrapper.get('#dataset-name').setValue('pets2');
    await mounted.wrapper.get('[data-test="rename-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.wrapper.get('#dataset-name-error').text()).toBe('A dataset named pets2 exists');
    await mounted.wrapper.get('#dataset-name').setValue('pets3');
    await mounted.wrapper.get('[data-test="rename-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.wrapper.get('h1').text()).toBe('pets3');
    expect(mounted.wrapper.find('[data-test="rename-form"]').exists()).toBe(false);
  });
});
