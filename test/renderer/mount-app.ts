import { mount, flushPromises, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { createMemoryHistory, type Router } from 'vue-router';
import { defineComponent, h, type Component } from 'vue';
import { installApi } from '../../src-renderer/src/api/index.ts';
import { createAppRouter } from '../../src-renderer/src/router/index.ts';
import { FakeApi, type Handlers } from './fake-api.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import { engineInfo, settings, workspaceInfo } from './fixtures.ts';

/** Handlers every view may need; a test adds or overrides its own. */
export function baseHandlers(): Handlers {
  return {
    'engine.info': () => engineInfo,
    'settings.get': () => ({ ...settings }),
    'settings.set': (patch) => ({ ...settings, ...patch, limits: { ...settings.limits, ...patch.limits } }),
    'workspace.info': () => workspaceInfo,
    'jobs.list': () => [],
    'slurm.profiles.list': () => [],
    'adapt.runs': () => [],
    'train.runs': () => [],
    'train.predictions': ({ jobId }) => {
      throw new ApiError('not_found', `jobId: Run #${jobId} has no predictions recorded.`, 'jobId');
    },
    'train.curves': ({ jobIds }) => jobIds.map((id) => ({ jobId: id, name: `Run #${id}`, jobIds: [id], points: [], resumes: [] })),
    'jobs.annotate': ({ id, tags, notes }) => ({ id, tags: tags ?? [], notes: notes ?? '' }),
    'reproduce.catalogue': () => [],
    'reproduce.list': () => [],
  };
}

export interface Mounted {
  wrapper: VueWrapper;
  api: FakeApi;
  router: Router;
  pinia: Pinia;
}

/** Mounts a component (or the whole app) with a fresh Pinia, a memory router and the fake host. */
export async function mountWithApi(component: Component, options: { handlers?: Handlers; path?: string; props?: Record<string, unknown> } = {}): Promise<Mounted> {
  const api = new FakeApi({ ...baseHandlers(), ...options.handlers });
  installApi(api);
  const pinia = createPinia();
  setActivePinia(pinia);
  const router = createAppRouter(createMemoryHistory());
  await router.push(options.path ?? '/');
  await router.isReady();
  const host = defineComponent({ render: () => h(component, options.props ?? {}) });
  const wrapper = mount(host, { global: { plugins: [pinia, router] }, attachTo: document.body });
  await flushPromises();
  return { wrapper, api, router, pinia };
}
