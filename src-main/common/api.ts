import type { CallName, EventMap, EventName, Req, Res } from './contract/index.ts';

/**
 * What the renderer codes against, whatever host it runs in (Electron IPC,
 * the browser host over HTTP + WebSocket, or a test double).
 */
export interface WorkbenchApi {
  call<K extends CallName>(name: K, request: Req<K>): Promise<Res<K>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
  /** A URL the renderer can put in <img src> for a file inside a dataset root or the workspace. */
  fileUrl(absolutePath: string, options?: { thumb?: number }): string;
  readonly hostKind: 'electron' | 'browser' | 'test';
}
