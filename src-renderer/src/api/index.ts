import type { HostApi } from './host-api.ts';
import { createElectronApi } from './electron-client.ts';
import { createBrowserApi } from './browser-client.ts';
import { takeBrowserToken } from './browser-token.ts';

let current: HostApi | null = null;

/** Picks the host the page runs in: the Electron preload bridge if present, else the browser host. */
export function detectHostApi(): HostApi {
  if (window.workbench) return createElectronApi(window.workbench);
  return createBrowserApi(takeBrowserToken());
}

/** Sets the API the stores use (the app at start-up; tests with their double). */
export function installApi(api: HostApi): void {
  current = api;
}

/** The API for stores. Views never call this: they go through a store. */
export function useApi(): HostApi {
  if (!current) throw new Error('No host API installed: call installApi() before using the stores.');
  return current;
}

export type { HostApi } from './host-api.ts';
export { toApiError } from './envelope.ts';
