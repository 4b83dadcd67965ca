import { createRouter, createWebHashHistory, type RouteRecordRaw, type Router, type RouterHistory } from 'vue-router';
import { areas } from './areas.ts';

export function routesFromAreas(): RouteRecordRaw[] {
  return [
    { path: '/', redirect: areas[0]!.path },
    // Each area takes an optional sub-path (a dataset id, a run id...) its view reads from the route.
    ...areas.map((area) => ({ path: `${area.path}/:rest(.*)*`, name: area.name, component: area.view, meta: { title: area.title } })),
    { path: '/:missing(.*)*', redirect: areas[0]!.path },
  ];
}

/** Hash history: the page is served from one file by both hosts (file://-like in Electron). */
export function createAppRouter(history: RouterHistory = createWebHashHistory()): Router {
  return createRouter({ history, routes: routesFromAreas() });
}
