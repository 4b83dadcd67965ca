// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import LocalizePage from '../../src-renderer/src/localize/LocalizePage.vue';
import type { ModelSummary } from '../../src-main/common/contract/index.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { job } from './fixtures.ts';
import { dataset } from './datasets-fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const model = (id: number, name: string, method: string): ModelSummary => ({ id, name, arch: 'resnet20', method, rate: null, parentModelId: null, datasetId: 4, jobId: null, dir: '', metrics: {}, createdAt: '' });

describe('Localization page: the heatmaps (localize.maps) form', () => {
  it('sends chosen sample ids or the first N of a split through localize.maps, and shows a refusal on the field it names', async () => {
    mounted = await mountWithApi(LocalizePage, {
      handlers: {
        'localize.evals': () => [],
        'datasets.list': () => [dataset({ id: 4, name: 'loc set' })],
        'models.list': ({ method }) => (method === 'cam' ? [model(5, 'CAM r20', 'cam')] : method === 'spg' ? [model(6, 'SPG r20', 'spg')] : [model(2, 'classifier', 'baseline')]),
        'localize.maps': (p) => {
          if (p.sampleIds?.includes(999)) throw new ApiError('not_found', 'sampleIds: 999 is not a sample of dataset 4 "loc set".', 'sampleIds');
          return job({ id: 80, kind: 'localize.maps', status: 'queued' });
        },
      },
    });
    const w = mounted.wrapper;
    await w.get('[data-test="start-localize-maps"]').trigger('click');
    await flushPromises();
    const form = w.get('[data-test="job-form-localize.maps"]');
    // Localization models only, SPG and CAM; the plain classifier is not offered.
    expect(form.findAll('#loc-maps-modelId option').map((o) => o.text())).toEqual(['SPG r20 (resnet20, spg)', 'CAM r20 (resnet20, cam)']);
    expect((form.get('#loc-maps-threshold').element as HTMLInputElement).value).toBe('0.2');

    // No sample ids: the first N of a split.
    expect(form.find('#loc-maps-split').exists()).toBe(true);
    await form.get('#loc-maps-modelId').setValue('5');
    await form.get('#loc-maps-split').setValue('test');
    await form.get('#loc-maps-limit').setValue('4');
    await form.get('#loc-maps-colormap').setValue('viridis');
    await form.trigger('submit');
    await flushPromises();
    const first = mounted.api.callsOf('localize.maps').at(-1) as Record<string, unknown>;
    expect(first).toMatchObject({ modelId: 5, datasetId: 4, split: 'test', limit: 4, colormap: 'viridis', threshold: 0.2 });
    expect(first.sampleIds).toBeUndefined();

    // Sample ids given: split and N are hidden and not sent.
    await w.get('[data-test="start-localize-maps"]').trigger('click');
    await flushPromises();
    const again = w.get('[data-test="job-form-localize.maps"]');
    await again.get('#loc-maps-sampleIds').setValue('100, 101');
    await flushPromises();
    expect(again.find('#loc-maps-split').exists()).toBe(false);
    expect(again.find('#loc-maps-limit').exists()).toBe(false);
    await again.trigger('submit');
    await flushPromises();
    const second = mounted.api.callsOf('localize.maps').at(-1) as Record<string, unknown>;
    expect(second).toMatchObject({ modelId: 6, datasetId: 4, sampleIds: [100, 101] });
    expect(second.split).toBeUndefined();

    // A sample that is not in the dataset: the server's refusal lands on the sample ids.
    await w.get('[data-test="start-localize-maps"]').trigger('click');
    await flushPromises();
    const third = w.get('[data-test="job-form-localize.maps"]');
    await third.get('#loc-maps-sampleIds').setValue('999');
    await third.trigger('submit');
    await flushPromises();
    expect(w.get('#loc-maps-sampleIds-error').text()).toContain('999 is not a sample of dataset 4');
  });
});
