// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { defineComponent, h } from 'vue';
import type { CallName, JobSummary, ModelInfo, ReidModelSummary, SpganRunSummary } from '../../src-main/common/contract/index.ts';
import { jobForms, type JobFormKind } from '../../src-renderer/src/job-forms/index.ts';
import FormJob from '../../src-renderer/src/forms/FormJob.vue';
import { resolveSections } from '../../src-renderer/src/forms/form-model.ts';
import type { FormField } from '../../src-renderer/src/forms/form-types.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';
import { dataset } from './datasets-fixtures.ts';
import { job } from './fixtures.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

const architectures: ModelInfo[] = [{ name: 'resnet20', family: 'cifar', depth: 20, description: 'CIFAR ResNet-20', defaultInputSize: [32, 32], minInputSize: 8 }];
const reidModel = { modelId: 7, name: 'IDE resnet18', arch: 'resnet18', datasetId: 3, jobId: 40, lmpParts: 0, featureDim: 512, numClasses: 751, imageSize: [64, 32], createdAt: '', evals: [] } satisfies ReidModelSummary;
const spganRun = { jobId: 5, title: 'SPGAN market → duke', status: 'succeeded', createdAt: '', sourceDatasetId: 3, targetDatasetId: 4, config: {}, checkpointEpochs: [1, 2], sampleEpochs: [1, 2], lastLosses: null } as unknown as SpganRunSummary;
const queued = (kind: string): JobSummary => job({ id: 50, kind, status: 'queued', progress: null });

/** A workspace with one of everything a picker offers; every way a form sends a job answers with a queued job. */
const handlers = {
  'datasets.list': () => [
    dataset({ id: 3, name: 'market', counts: { ...dataset().counts, identities: 751, cameras: 6, splits: { train: 80, test: 10, query: 5, gallery: 5 } } }),
    dataset({ id: 4, name: 'duke', counts: { ...dataset().counts, identities: 702, cameras: 8 } }),
    dataset({ id: 6, name: 'ilsvrc boxes', counts: { ...dataset().counts, withBoxes: 100 } }),
    dataset({ id: 8, name: 'fashion', imageSize: { width: 28, height: 28, channels: 1 } }),
  ],
  'datasets.formats': () => [{ format: 'imagefolder' as const, title: 'Class folders', layout: '', decoded: false }],
  'models.list': () => [{ id: 2, name: 'resnet20 baseline', arch: 'resnet20', method: null, rate: null, parentModelId: null, datasetId: 3, jobId: 20, dir: '', metrics: {}, createdAt: '' }],
  'models.architectures': () => architectures,
  'augment.pipelines.list': () => [],
  'reid.models': () => [reidModel],
  'spgan.runs': () => [spganRun],
  'adapt.runs': () => [{ jobId: 9, title: 'DANN resnet20', status: 'succeeded' as const, method: 'dann' as const, arch: 'resnet20', sourceDatasetId: 8, targetDatasetId: 3, history: [], sourceAccuracy: 0.9, targetAccuracy: 0.5, chance: 0.1 }],
  'train.validateConfig': ({ config }: { config: unknown }) => ({ ok: true as const, config: config as never }),
  'jobs.submit': ({ kind }: { kind: string }) => queued(kind),
  'models.export': () => queued('models.export'),
  'models.latency': () => queued('models.latency'),
  'models.import': () => queued('models.import'),
  'datasets.import': () => queued('dataset.import'),
  'localize.maps': () => queued('localize.maps'),
};

/** Where a form's job went: the params of `jobs.submit`, or the request of the form's own call (its backend choice aside). */
const sendCalls: CallName[] = ['jobs.submit', 'models.export', 'models.latency', 'models.import', 'datasets.import', 'localize.maps'];
function sentParams(m: Mounted): Record<string, unknown> | undefined {
  const call = m.api.calls.filter((c) => sendCalls.includes(c.name)).at(-1);
  if (!call) return undefined;
  const { backend: _backend, ...request } = call.request as Record<string, unknown>;
  return call.name === 'jobs.submit' ? (request.params as Record<string, unknown>) : request;
}

const at = (params: Record<string, unknown>, path: string) => path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], params);

/** Mounts the form of one kind as the app would: its definition made in a component's setup. */
async function mountForm(kind: JobFormKind, started: JobSummary[] = [], preset?: Record<string, unknown>): Promise<{ m: Mounted; fields: FormField[] }> {
  let fields: FormField[] = [];
  const Host = defineComponent({
    setup() {
      const def = jobForms[kind]();
      fields = resolveSections(def).flatMap((s) => s.fields);
      return () => h(FormJob, { def, preset, onStarted: (j: JobSummary) => started.push(j) });
    },
  });
  const m = await mountWithApi(Host, { handlers });
  await flushPromises();
  return { m, fields };
}

const kinds = Object.keys(jobForms) as JobFormKind[];

describe('every job form, built from its params schema', () => {
  it.each(kinds)('%s: starts at the schema defaults, sends them, and the request passes the schema', async (kind) => {
    const started: JobSummary[] = [];
    const { m, fields } = await mountForm(kind, started);
    mounted = m;
    const w = m.wrapper;
    const shown = fields.filter((f) => w.find(`#${f.id}`).exists());
    expect(shown.length, 'controls shown').toBeGreaterThan(0);
    // Text the schema requires and has no default for (a folder to import): something valid.
    for (const f of shown.filter((x) => x.required && x.kind === 'string' && x.default === undefined)) await w.get(`#${f.id}`).setValue('/data/folder');
    await w.get('form').trigger('submit');
    await flushPromises();
    const params = sentParams(m);
    expect(params, 'a request was sent').toBeDefined();
    const def = jobForms[kind]();
    const parsed = def.schema.safeParse(params);
    expect(parsed.error?.issues ?? [], 'the request passes the schema').toEqual([]);
    // Fields shown with a schema default send that default (the layout may start elsewhere and says why).
    for (const f of shown.filter((x) => x.default !== undefined && x.initial === undefined && !x.local)) {
      expect(at(params!, f.path), f.path).toEqual(f.default);
    }
    expect(started.map((j) => j.id)).toEqual([50]);
  });

  // Every form with a bounded number: a value below its bound is named on the field, and nothing is sent.
  setActivePinia(createPinia());
  const bounded = kinds.flatMap((kind) => {
    const field = resolveSections(jobForms[kind]()).flatMap((s) => s.fields).find((f) => (f.kind === 'integer' || f.kind === 'number') && f.min !== undefined && !f.when && !f.widget);
    return field ? [[kind, field] as const] : [];
  });

  it.each(bounded)('%s: a value under the schema minimum is marked on its field with a sentence', async (kind, field) => {
    const { m } = await mountForm(kind);
    mounted = m;
    const w = m.wrapper;
    await w.get(`#${field.id}`).setValue(String(field.min! - 1));
    const message = w.get(`#${field.id}-error`).text();
    expect(message.startsWith(`${field.label.replace(/ \(optional\)$/, '')} must be `), message).toBe(true);
    expect(message).toMatch(/ must be (at least|above) -?\d/);
    expect(w.get(`#${field.id}`).attributes('aria-invalid')).toBe('true');
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(sentParams(m), 'nothing sent').toBeUndefined();
  });
});

// A label made from a schema key ("Lr", "Em start epoch") reads as code to a lab; such fields get a label of words.
const codeWords = /^(Lr|Arch|Em|Bn|Lmp)\b|\b(lr|arch|bn)\b/;
describe('every job form labels its fields in words', () => {
  it.each(kinds)('%s', (kind) => {
    const labels = resolveSections(jobForms[kind]()).flatMap((s) => s.fields).map((f) => f.label);
    expect(labels.filter((l) => codeWords.test(l))).toEqual([]);
  });
});

describe('a job form for one item', () => {
  it('sends the values its caller fixed without showing them, and the backend chosen', async () => {
    const { m } = await mountForm('models.export', [], { modelId: 9 });
    mounted = m;
    expect(m.wrapper.find('#export-modelId').exists()).toBe(false);
    await m.wrapper.get('#export-format').setValue('tfjs');
    await m.wrapper.get('[data-test="export-backend"]').setValue('wasm');
    await m.wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(m.api.callsOf('models.export')).toEqual([{ modelId: 9, format: 'tfjs', inputLayout: 'nhwc', verify: true, backend: 'wasm' }]);
  });
});
