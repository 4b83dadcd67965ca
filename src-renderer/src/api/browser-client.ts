import type { CallName, EventMap, EventName, Req, Res } from '../../../src-main/common/contract/index.ts';
import { ApiError } from '../../../src-main/common/contract/errors.ts';
import type { HostApi } from './host-api.ts';
import { unwrapEnvelope } from './envelope.ts';
import { EventSocket } from './event-socket.ts';

type Listener = (payload: unknown) => void;

/**
 * The browser host: calls are `POST /api/call/<name>` with a bearer token,
 * events arrive over one WebSocket, files are plain same-origin URLs.
 */
export function createBrowserApi(token: string, origin: string = window.location.origin): HostApi {
  const listeners = new Map<string, Set<Listener>>();
  const dispatch = (event: string, payload: unknown) => {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  };
  const wsUrl = `${origin.replace(/^http/, 'ws')}/api/events?token=${encodeURIComponent(token)}`;
  // Events sent while the socket was down are lost: tell every store to refetch.
  const onReconnect = () => {
    for (const what of ['jobs', 'datasets', 'models', 'pipelines', 'settings', 'artifacts'] as const) dispatch('data.changed', { what });
  };
  const socket = new EventSocket(wsUrl, dispatch, onReconnect);
  const tokenParam = `token=${encodeURIComponent(token)}`;

  return {
    hostKind: 'browser',
    async call<K extends CallName>(name: K, request: Req<K>): Promise<Res<K>> {
      let response: Response;
      try {
        response = await fetch(`${origin}/api/call/${encodeURIComponent(name)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
          body: JSON.stringify(request ?? {}),
        });
      } catch (error) {
        throw new ApiError('failed', `The workbench host is not reachable (${(error as Error).message}).`);
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        throw new ApiError(response.status === 401 ? 'unauthorized' : 'failed', `${name}: HTTP ${response.status} without a readable reply`);
      }
      return unwrapEnvelope<Res<K>>(body, name);
    },
    on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void {
      const set = listeners.get(event) ?? new Set<Listener>();
      listeners.set(event, set);
      const wrapped: Listener = (payload) => listener(payload as EventMap[E]);
      set.add(wrapped);
      socket.open();
      return () => set.delete(wrapped);
    },
    fileUrl(path, options) {
      const thumb = options?.thumb ? `&thumb=${options.thumb}` : '';
      return `${origin}/files?path=${encodeURIComponent(path)}${thumb}&${tokenParam}`;
    },
    sampleUrl(id, options) {
      const thumb = options?.thumb ? `thumb=${options.thumb}&` : '';
      return `${origin}/files/sample/${id}?${thumb}${tokenParam}`;
    },
    // The host sends the file as an attachment (token-checked, confined like /files): the browser saves it.
    download(path) {
      const a = document.createElement('a');
      a.href = `${origin}/files/download?path=${encodeURIComponent(path)}&${tokenParam}`;
      a.download = path.split(/[\\/]/).pop() ?? 'file';
      document.body.append(a);
      a.click();
      a.remove();
      return Promise.resolve();
    },
  };
}
