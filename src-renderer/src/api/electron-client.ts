import type { CallName, EventMap, EventName, Req, Res } from '../../../src-main/common/contract/index.ts';
import type { HostApi } from './host-api.ts';
import type { WorkbenchBridge } from './workbench-bridge.d.ts';
import { unwrapEnvelope } from './envelope.ts';

/** The Electron host: everything goes through the preload's `window.workbench` bridge. */
export function createElectronApi(bridge: WorkbenchBridge): HostApi {
  return {
    hostKind: 'electron',
    async call<K extends CallName>(name: K, request: Req<K>): Promise<Res<K>> {
      const envelope = await bridge.call(name, request ?? {});
      return unwrapEnvelope<Res<K>>(envelope, name);
    },
    on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void {
      return bridge.on(event, (payload) => listener(payload as EventMap[E]));
    },
    fileUrl: (path, options) => bridge.fileUrl(path, options),
    // The main process serves samples on the same protocol as files (see README.md).
    sampleUrl: (id, options) => bridge.sampleUrl?.(id, options) ?? `wb-file://sample/${id}${options?.thumb ? `?thumb=${options.thumb}` : ''}`,
    download: (path) => (bridge.download ? bridge.download(path) : Promise.reject(new Error('This version of the app cannot save files.'))),
    ...(bridge.showInFolder ? { showInFolder: (path: string) => bridge.showInFolder!(path) } : {}),
    ...(bridge.pickFolder ? { pickFolder: () => bridge.pickFolder!() } : {}),
  };
}
