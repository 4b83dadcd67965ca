// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import AugmentPage from '../../src-renderer/src/augment/AugmentPage.vue';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import type { PreviewResult, Req, TransformInfo } from '../../src-main/common/contract/index.ts';
import { useAugmentStore } from '../../src-renderer/src/stores/augment.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset } from './datasets-fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

/** One transform of each parameter kind, as augment.transforms would list them. */
const transforms: TransformInfo[] = [
  {
    name: 'randomErasing', title: 'Random erasing', summary: 'Erase a rectangle.', changesShape: false, random: true,
    presets: { torchvision: { p: 0.5, area: [0.02, 0.33], fill: 'zero' } },
    params: [
      { name: 'preset', label: 'Preset', kind: 'enum', options: ['paper', 'torchvision'], default: 'paper', description: 'Fills the options below that are not set.' },
      { name: 'p', label: 'Probability', kind: 'number', min: 0, max: 1, step: 0.05, default: 0.5, description: '' },
      { name: 'area', label: 'Area fraction', kind: 'range', min: 0, max: 1, step: 0.01, default: [0.02, 0.4], description: '' },
      { name: 'fill', label: 'Fill', kind: 'enum', options: ['random', 'zero', 'mean'], default: 'random', description: '' },
      { name: 'attempts', label: 'Attempts', kind: 'integer', min: 1, max: 1000, default: 100, description: '' },
    ],
  },
  {
    name: 'normalize', title: 'Normalize', summary: 'Subtract mean, divide by std.', changesShape: false, random: false, presets: {},
    params: [
      { name: 'mean', label: 'Mean', kind: 'numbers', length: null, default: [0.49, 0.48, 0.45], description: '' },
      { name: 'inplace', label: 'In place', kind: 'boolean', default: false, description: '' },
    ],
  },
  {
    name: 'patchShuffle', title: 'PatchShuffle', summary: 'Shuffle pixels in patches.', changesShape: false, random: true, presets: {},
    params: [{ name: 'p', label: 'Probability', kind: 'number', min: 0, max: 1, step: 0.05, default: 0.05, description: '' }],
  },
];

function preview(req: Req<'augment.preview'>): PreviewResult {
  const ids = req.sampleIds ?? [11, 12];
  return {
    datasetId: req.datasetId, seed: req.seed ?? 0, epoch: req.epoch ?? 0, display: 'clamp', split: 'train', inputSize: [32, 32],
    items: ids.map((sampleId, i) => ({
      sampleId, path: `cat/${sampleId}.png`, label: 0, className: 'cat', original: 'data:image/png;base64,AA', augmented: 'data:image/png;base64,AB', width: 32, height: 32,
      params: {
        seed: 1,
        steps: [
          { transform: 'randomErasing', enabled: true, params: i === 0 ? { erase: true, top: 2, left: 3, height: 10, width: 12, attempts: 1 } : { erase: false, attempts: 100 } },
          { transform: 'patchShuffle', enabled: true, params: { n: 2, mode: 'image', applied: [i === 1], permSeed: 5 } },
        ],
      },
    })),
  };
}

const handlers = {
  'augment.transforms': () => transforms,
  'augment.pipelines.list': () => [],
  'datasets.list': () => [dataset({ id: 4, name: 'cifar' })],
  'augment.preview': preview,
};

describe('pipeline editor', () => {
  it('generates a control for every parameter of every transform from its schema', async () => {
    mounted = await mountWithApi(AugmentPage, { handlers });
    for (const t of transforms) {
      await mounted.wrapper.get('[data-test="add-transform"]').setValue(t.name);
      await mounted.wrapper.get('[data-test="add-step"]').trigger('click');
    }
    const steps = mounted.wrapper.findAll('[data-test^="step-"]');
    expect(steps).toHaveLength(3);
    transforms.forEach((t, i) => {
      // A `preset` option is the header's preset control, not a control among the options.
      for (const p of t.params) expect(steps[i]!.find(`[data-test="param-${p.name}"]`).exists(), `${t.name}.${p.name}`).toBe(p.name !== 'preset');
    });
    const erasing = steps[0]!;
    expect(erasing.findAll('[data-test="param-p"] input').map((x) => x.attributes('type'))).toEqual(['range', 'number']);
    expect(erasing.findAll('[data-test="param-area"] input')).toHaveLength(2);
    expect(erasing.findAll('[data-test="param-fill"] option').map((o) => o.text())).toEqual(['random', 'zero', 'mean']);
    expect(steps[1]!.findAll('[data-test="param-mean"] input[type="number"]')).toHaveLength(3);
    expect(steps[1]!.find('[data-test="param-inplace"] input[type="checkbox"]').exists()).toBe(true);

    // Editing controls changes the spec the preview and save send.
    await erasing.get('[data-test="param-p"] input[type="number"]').setValue('0.9');
    await erasing.get('[data-test="param-fill"] select').setValue('zero');
    await erasing.findAll('[data-test="param-area"] input')[1]!.setValue('0.3');
    const store = useAugmentStore();
    expect(store.spec.steps[0]).toEqual({ transform: 'randomErasing', enabled: true, options: { preset: 'paper', p: 0.9, area: [0.02, 0.3], fill: 'zero', attempts: 100 } });
    expect(store.spec.steps[1]!.options).toEqual({ mean: [0.49, 0.48, 0.45], inplace: false });
  });

  it('previews original vs augmented with the erased box and shuffle flag, and re-rolls on the same images', async () => {
    mounted = await mountWithApi(AugmentPage, { handlers });
    await mounted.wrapper.get('[data-test="add-transform"]').setValue('randomErasing');
    await mounted.wrapper.get('[data-test="add-step"]').trigger('click');
    await mounted.wrapper.get('[data-test="preview-run"]').trigger('click');
    await flushPromises();
    const first = mounted.api.callsOf('augment.preview')[0] as Req<'augment.preview'>;
    expect(first).toMatchObject({ datasetId: 4, count: 8, seed: 0 });
    expect(mounted.wrapper.findAll('[data-test="preview-grid"] figure')).toHaveLength(2);
    const rect = mounted.wrapper.get('[data-test="preview-11"] [data-test="erased-box"] rect');
    expect([rect.attributes('x'), rect.attributes('y'), rect.attributes('width'), rect.attributes('height')]).toEqual(['3', '2', '12', '10']);
    expect(mounted.wrapper.find('[data-test="preview-12"] [data-test="erased-box"]').exists()).toBe(false);
    expect(mounted.wrapper.get('[data-test="preview-11"] [data-test="shuffle-flag"]').text()).toBe('shuffle off');
    expect(mounted.wrapper.get('[data-test="preview-12"] [data-test="shuffle-flag"]').text()).toBe('shuffle on');

    // A new seed keeps the images (their seed stays); "Other images" changes only that one.
    await mounted.wrapper.get('[data-test="preview-reroll"]').trigger('click');
    await flushPromises();
    const second = mounted.api.callsOf('augment.preview')[1] as Req<'augment.preview'>;
    expect(second).toMatchObject({ count: 8, imageSeed: first.imageSeed });
    expect(second.seed).not.toBe(0);
    // So does a seed typed in by hand, then Preview.
    await mounted.wrapper.get('[data-test="preview-seed"]').setValue('77');
    await mounted.wrapper.get('[data-test="preview-run"]').trigger('click');
    await flushPromises();
    expect(mounted.api.callsOf('augment.preview')[2]).toMatchObject({ seed: 77, imageSeed: first.imageSeed });
    await mounted.wrapper.get('[data-test="preview-other-images"]').trigger('click');
    await flushPromises();
    const other = mounted.api.callsOf('augment.preview')[3] as Req<'augment.preview'>;
    expect(other.seed).toBe(77);
    expect(other.imageSeed).not.toBe(first.imageSeed);
  });

  it('one preset control per step: the defaults and the named presets, showing which one the options match', async () => {
    mounted = await mountWithApi(AugmentPage, { handlers });
    const w = mounted.wrapper;
    for (const t of transforms) {
      await w.get('[data-test="add-transform"]').setValue(t.name);
      await w.get('[data-test="add-step"]').trigger('click');
    }
    const control = (i: number) => w.get(`[data-test="preset-${i}"]`);
    expect(w.findAll('[data-test^="preset-"]')).toHaveLength(3);
    expect(control(0).findAll('option').map((o) => o.text())).toEqual(['defaults', 'torchvision', 'custom']);
    expect(control(2).findAll('option').map((o) => o.text())).toEqual(['defaults', 'custom']);
    expect((control(0).element as HTMLSelectElement).value).toBe('defaults');
    await control(0).setValue('torchvision');
    const store = useAugmentStore();
    // The transform's own `preset` option follows the one control (no second preset control among the options).
    expect(store.spec.steps[0]!.options).toMatchObject({ preset: 'torchvision', p: 0.5, area: [0.02, 0.33], fill: 'zero' });
    expect(w.find('[data-test="step-0"] [data-test="param-preset"]').exists()).toBe(false);
    expect((control(0).element as HTMLSelectElement).value).toBe('torchvision');
    await w.get('[data-test="step-0"] [data-test="param-attempts"] input').setValue('7');
    expect((control(0).element as HTMLSelectElement).value).toBe('torchvision');
    await w.get('[data-test="step-0"] [data-test="param-fill"] select').setValue('random');
    expect((control(0).element as HTMLSelectElement).value).toBe('custom');
    await control(0).setValue('defaults');
    expect(store.spec.steps[0]!.options).toEqual({ preset: 'paper', p: 0.5, area: [0.02, 0.4], fill: 'random', attempts: 100 });
    expect((control(0).element as HTMLSelectElement).value).toBe('defaults');
  });

  it("says PatchShuffle's probability beside the preview, and how many images it shuffled", async () => {
    mounted = await mountWithApi(AugmentPage, { handlers });
    const w = mounted.wrapper;
    await w.get('[data-test="add-transform"]').setValue('patchShuffle');
    await w.get('[data-test="add-step"]').trigger('click');
    await w.get('[data-test="preview-run"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-test="shuffle-summary"]').text()).toBe(
      'PatchShuffle (step 1): probability 0.05 per image (the default), so about 0.1 of these 2 images; shuffled here: 1. Raise the probability to see it more often.',
    );
    await w.get('[data-test="step-0"] [data-test="param-p"] input[type="number"]').setValue('0.5');
    await w.get('[data-test="preview-run"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-test="shuffle-summary"]').text()).toBe('PatchShuffle (step 1): probability 0.5 per image, so about 1 of these 2 images; shuffled here: 1.');
  });

  it('shows the previewed sample ids and the CLI command that reproduces the preview', async () => {
    const saved = { id: 7, name: 'erase', createdAt: '', spec: { version: 1 as const, steps: [{ transform: 'randomErasing', enabled: true, options: { preset: 'paper', fill: 'random', p: 0.5, attempts: 100, area: [0.02, 0.4] } }] } };
    mounted = await mountWithApi(AugmentPage, { handlers: { ...handlers, 'augment.pipelines.list': () => [saved] } });
    const w = mounted.wrapper;
    await w.get('[data-test="add-transform"]').setValue('randomErasing');
    await w.get('[data-test="add-step"]').trigger('click');
    await w.get('[data-test="preview-run"]').trigger('click');
    await flushPromises();
    expect(w.findAll('[data-test="sample-id"]').map((s) => s.text())).toEqual(['#11', '#12']);
    const command = () => w.get('[data-test="preview-cli-command"]').text();
    expect(command()).toBe('workbench augment preview --dataset 4 --pipeline 7 --seed 0 --split train --samples 11,12 --out preview');

    // Editing after the preview does not change the command for the images on screen; a new preview of an unsaved pipeline names a file.
    await w.get('[data-test="step-0"] [data-test="param-fill"] select').setValue('zero');
    expect(command()).toContain('--pipeline 7 ');
    await w.get('[data-test="preview-reroll"]').trigger('click');
    await flushPromises();
    const seed = (mounted.api.callsOf('augment.preview')[1] as Req<'augment.preview'>).seed;
    expect(command()).toBe(`workbench augment preview --dataset 4 --pipeline pipeline.json --seed ${seed} --split train --samples 11,12 --out preview`);
    expect(w.get('[data-test="preview-cli-pipeline"]').text()).toContain('not saved');
  });

  it('shows a rejected option next to its control', async () => {
    mounted = await mountWithApi(AugmentPage, {
      handlers: {
        ...handlers,
        'augment.preview': () => {
          throw new ApiError('invalid_request', 'p must be between 0 and 1', 'pipeline.steps.0.options.p');
        },
      },
    });
    await mounted.wrapper.get('[data-test="add-transform"]').setValue('randomErasing');
    await mounted.wrapper.get('[data-test="add-step"]').trigger('click');
    await mounted.wrapper.get('[data-test="preview-run"]').trigger('click');
    await flushPromises();
    expect(mounted.wrapper.get('[data-test="step-0"] [data-test="param-p"] [role="alert"]').text()).toBe('p must be between 0 and 1');
    expect(mounted.wrapper.find('[data-test="step-0"] [data-test="param-area"] [role="alert"]').exists()).toBe(false);
  });

  it('saves the pipeline for training, showing a name conflict next to the name', async () => {
    let saves = 0;
    mounted = await mountWithApi(AugmentPage, {
      handlers: {
        ...handlers,
        'augment.pipelines.save': ({ name, spec }) => {
          if (saves++ === 0) throw new ApiError('conflict', `A pipeline named ${name} exists`, 'name');
          return { id: 1, name, spec: { version: 1, steps: spec.steps.map((s) => ({ transform: s.transform, options: s.options ?? {}, enabled: s.enabled ?? true })) }, createdAt: '' };
        },
      },
    });
    await mounted.wrapper.get('[data-test="add-transform"]').setValue('normalize');
    await mounted.wrapper.get('[data-test="add-step"]').trigger('click');
    await mounted.wrapper.get('[data-test="pipeline-name"]').setValue('cifar');
    await mounted.wrapper.get('[data-test="save-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.wrapper.get('#pipeline-name-error').text()).toBe('A pipeline named cifar exists');
    await mounted.wrapper.get('[data-test="save-form"] input[type="checkbox"]').setValue(true);
    await mounted.wrapper.get('[data-test="save-form"]').trigger('submit');
    await flushPromises();
    expect(mounted.api.callsOf('augment.pipelines.save')[1]).toMatchObject({ name: 'cifar', overwrite: true });
    expect(mounted.wrapper.find('#pipeline-name-error').exists()).toBe(false);
  });
});
