// @vitest-environment happy-dom
import { describe, it, expect, afterEach } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import App from '../../src-renderer/src/App.vue';
import { areas } from '../../src-renderer/src/router/areas.ts';
import { mountWithApi, type Mounted } from './mount-app.ts';

let mounted: Mounted | null = null;
afterEach(() => {
  mounted?.wrapper.unmount();
  mounted = null;
});

describe('route registry', () => {
  it.each(areas.map((a) => [a.title, a] as const))('%s renders its page in the shell', async (_title, area) => {
    mounted = await mountWithApi(App, { path: area.path });
    await flushPromises();
    expect(mounted.router.currentRoute.value.name).toBe(area.name);
    const heading = mounted.wrapper.get('main h1');
    expect(heading.text()).toBe(area.title);
    // Every page sits in the page container (its padding): a page without it touched the sidebar.
    expect(heading.element.closest('main .page')).not.toBeNull();
    expect(mounted.wrapper.get(`[data-test="nav-${area.name}"]`).classes()).toContain('router-link-active');
    expect(mounted.wrapper.get('[data-test="status-bar"]').text()).toContain('wasm');
  });
});
