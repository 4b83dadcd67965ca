// @vitest-environment happy-dom
/** Pickers offer only datasets and models of the right kind, start at a sensible choice, and say why when nothing fits. */
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { defineComponent, h } from 'vue';
import FormJob from '../../src-renderer/src/forms/FormJob.vue';
import { jobForms, type JobFormKind } from '../../src-renderer/src/job-forms/index.ts';
import type { DatasetSummary, ModelSummary } from '../../src-main/common/contract/index.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset } from './datasets-fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const counts = dataset().counts;
const cifar = dataset({ id: 1, name: 'cifar10', counts: { ...counts, classes: 10, identities: 0 } });
const market = dataset({ id: 2, name: 'market', format: 'market1501', counts: { ...counts, classes: 0, identities: 751, cameras: 6 } });
const duke = dataset({ id: 3, name: 'duke', format: 'dukemtmc', counts: { ...counts, classes: 0, identities: 702, cameras: 8 } });
const boxes = dataset({ id: 4, name: 'loc set', format: 'generated', counts: { ...counts, classes: 10, withBoxes: 500 } });
const model = (id: number, arch: string, method: string | null): ModelSummary => ({ id, name: `model ${id}`, arch, method, rate: null, parentModelId: null, datasetId: null, jobId: null, dir: '', metrics: {}, createdAt: '' });

async function mountForm(kind: JobFormKind, datasets: DatasetSummary[], models: ModelSummary[] = []): Promise<Mounted> {
  const Host = defineComponent({
    setup() {
      const def = jobForms[kind]();
      return () => h(FormJob, { def });
    },
  });
  return mountWithApi(Host, {
    handlers: {
      'datasets.list': () => datasets,
      'models.list': ({ method }) => models.filter((m) => !method || m.method === method),
      'models.architectures': () => [{ name: 'resnet20', family: 'cifar', depth: 20, description: '', defaultInputSize: [32, 32], minInputSize: 8 }],
      'augment.pipelines.list': () => [],
      'reid.models': () => [],
      'spgan.runs': () => [],
    },
  });
}

const optionValues = (m: Mounted, id: string) => m.wrapper.get(`#${id}`).findAll('option').map((o) => o.attributes('value') ?? o.text());
const value = (m: Mounted, id: string) => (m.wrapper.get(`#${id}`).element as HTMLSelectElement).value;
const all = [cifar, market, duke, boxes];

describe('pickers offer the right kind of item', () => {
  it.each([
    { kind: 'spgan.train', field: 'spgan-train-sourceDatasetId', offers: ['2', '3'] },
    { kind: 'reid.train', field: 'reid-train-datasetId', offers: ['2', '3'] },
    { kind: 'reid.eval', field: 'reid-eval-queryDatasetId', offers: ['2', '3'] },
    { kind: 'train.run', field: 'tr-dataset', offers: ['1', '4'] },
    { kind: 'localize.eval', field: 'localize-eval-datasetId', offers: ['4'] },
  ] as const)('$kind: $field offers only $offers and starts at the first', async ({ kind, field, offers }) => {
    mounted = await mountForm(kind, all);
    expect(optionValues(mounted, field)).toEqual(offers);
    expect(value(mounted, field)).toBe(offers[0]);
  });

  it('SPGAN: the target starts at a re-ID set other than the source', async () => {
    mounted = await mountForm('spgan.train', all);
    expect(value(mounted, 'spgan-train-sourceDatasetId')).toBe('2');
    expect(value(mounted, 'spgan-train-targetDatasetId')).toBe('3');
  });

  it('re-ID init offers models of the architecture trained, IDE models first', async () => {
    mounted = await mountForm('reid.train', all, [model(5, 'resnet50', null), model(6, 'resnet20', 'sfp'), model(7, 'resnet50', 'ide'), model(8, 'resnet18', 'ide')]);
    expect(optionValues(mounted, 'reid-train-initFromModelId').filter((v) => /^\d+$/.test(v))).toEqual(['7', '5']);
    await mounted.wrapper.get('#reid-train-arch').setValue('resnet18');
    expect(optionValues(mounted, 'reid-train-initFromModelId').filter((v) => /^\d+$/.test(v))).toEqual(['8']);
  });

  it('localization training offers backbones of its architecture only', async () => {
    mounted = await mountForm('localize.train', all, [model(5, 'resnet50', null), model(6, 'resnet20', 'sfp'), model(7, 'resnet18', 'ide')]);
    const arch = (mounted.wrapper.get('#loc-train-arch').element as HTMLSelectElement).value;
    const expected = [model(5, 'resnet50', null), model(6, 'resnet20', 'sfp'), model(7, 'resnet18', 'ide')].filter((m) => m.arch === arch).map((m) => String(m.id));
    expect(expected).toHaveLength(1);
    expect(optionValues(mounted, 'loc-train-init').filter((v) => /^\d+$/.test(v))).toEqual(expected);
  });

  it.each([
    { kind: 'spgan.train', field: 'spgan-train-sourceDatasetId', says: /No re-ID dataset \(one with person ids\) yet: import Market-1501/ },
    { kind: 'train.run', field: 'tr-dataset', says: /No dataset with class labels yet: import CIFAR-10/ },
    { kind: 'localize.eval', field: 'localize-eval-datasetId', says: /No dataset with boxes yet: generate a localization set/ },
    { kind: 'localize.eval', field: 'localize-eval-modelId', says: /No CAM or SPG model yet: train one first/ },
  ] as const)('$kind: $field with nothing suitable says why and what to do, and Start waits', async ({ kind, field, says }) => {
    mounted = await mountForm(kind, kind === 'train.run' ? [market] : [cifar]);
    expect(mounted.wrapper.get(`[data-test="${field}-empty"]`).text()).toMatch(says);
    expect(mounted.wrapper.get('button[type="submit"]').attributes('disabled')).toBeDefined();
  });

  it('a picker with choices shows no such note', async () => {
    mounted = await mountForm('train.run', all);
    await flushPromises();
    expect(mounted.wrapper.find('[data-test="tr-dataset-empty"]').exists()).toBe(false);
  });
});

// Domain adaptation and sensitivity: labelled sets only, and the label set of the other side.
const fashion = dataset({ id: 10, name: 'fashion', counts: { ...counts, classes: 10 }, imageSize: { width: 28, height: 28, channels: 1 } });
const mnistm = dataset({ id: 11, name: 'fashion-m', format: 'generated', counts: { ...counts, classes: 10 } });
const cifar100 = dataset({ id: 12, name: 'cifar100', counts: { ...counts, classes: 100 } });
const narrowed = [fashion, mnistm, cifar100, market];
const trainedOn = (m: ModelSummary, datasetId: number): ModelSummary => ({ ...m, datasetId });

describe('adaptation and sensitivity pickers follow the label set', () => {
  it.each([
    { kind: 'adapt.generate', field: 'adapt-generate-sourceDatasetId', offers: ['10'], first: '10' },
    { kind: 'adapt.generate', field: 'adapt-generate-patchDatasetId', offers: ['11', '12', '2'], first: '11' },
    { kind: 'adapt.train', field: 'adapt-train-sourceDatasetId', offers: ['10', '11', '12'], first: '10' },
    { kind: 'adapt.train', field: 'adapt-train-targetDatasetId', offers: ['11'], first: '11' },
    { kind: 'adapt.train', field: 'adapt-train-translatedDatasetId', offers: ['', '11'], first: '—' },
  ] as const)('$kind: $field offers $offers and starts at $first', async ({ kind, field, offers, first }) => {
    mounted = await mountForm(kind, narrowed);
    expect(optionValues(mounted, field).map((v) => (v === '—' ? '' : v))).toEqual(offers);
    expect(value(mounted, field)).toBe(first);
  });

  it('a set of domain folders (Office-31) is offered as its own target', async () => {
    const office = dataset({ id: 13, name: 'office31', format: 'domains', counts: { ...counts, classes: 10, domains: { amazon: 2817, dslr: 498, webcam: 795 } } });
    mounted = await mountForm('adapt.train', [...narrowed, office]);
    await mounted.wrapper.get('#adapt-train-sourceDatasetId').setValue('13');
    await flushPromises();
    expect(optionValues(mounted, 'adapt-train-targetDatasetId')).toEqual(['10', '11', '13']);
    // A plain set is never its own target.
    await mounted.wrapper.get('#adapt-train-sourceDatasetId').setValue('10');
    await flushPromises();
    expect(optionValues(mounted, 'adapt-train-targetDatasetId')).toEqual(['11', '13']);
  });

  it('adapt.generate without a grayscale set says which to import', async () => {
    mounted = await mountForm('adapt.generate', [mnistm, cifar100]);
    expect(mounted.wrapper.get('[data-test="adapt-generate-sourceDatasetId-empty"]').text()).toMatch(/No grayscale dataset with class labels yet: import Fashion-MNIST/);
  });

  it("sensitivity offers classifiers, and the sets of the chosen model's class count", async () => {
    const models = [trainedOn(model(20, 'resnet20', 'sfp'), 10), trainedOn(model(21, 'resnet50', 'ide'), 2), trainedOn(model(22, 'resnet56', null), 12)];
    mounted = await mountForm('prune.sensitivity', narrowed, models);
    expect(optionValues(mounted, 'sens-model')).toEqual(['20', '22']);
    expect(optionValues(mounted, 'sens-dataset')).toEqual(['10', '11']);
    await mounted.wrapper.get('#sens-model').setValue('22');
    await flushPromises();
    expect(optionValues(mounted, 'sens-dataset')).toEqual(['12']);
    expect(value(mounted, 'sens-dataset')).toBe('12');
  });

  it('a choice the narrowed list no longer holds moves to its first entry, or clears when none is left', async () => {
    mounted = await mountForm('adapt.train', narrowed);
    expect(value(mounted, 'adapt-train-targetDatasetId')).toBe('11');
    await mounted.wrapper.get('#adapt-train-sourceDatasetId').setValue('12');
    await flushPromises();
    expect(optionValues(mounted, 'adapt-train-targetDatasetId')).toEqual([]);
    expect(mounted.wrapper.get('[data-test="adapt-train-targetDatasetId-empty"]').text()).toMatch(/No other dataset with 100 classes \(the source's label set\)/);
    expect(mounted.wrapper.get('button[type="submit"]').attributes('disabled')).toBeDefined();
    await mounted.wrapper.get('#adapt-train-sourceDatasetId').setValue('11');
    await flushPromises();
    expect(value(mounted, 'adapt-train-targetDatasetId')).toBe('10');
    expect(mounted.wrapper.get('button[type="submit"]').attributes('disabled')).toBeUndefined();
  });
});
