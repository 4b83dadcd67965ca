import type { CallName, EventMap, EventName, Req, Res } from '../../src-main/common/contract/index.ts';
import { ApiError } from '../../src-main/common/contract/errors.ts';
import type { HostApi } from '../../src-renderer/src/api/host-api.ts';

type Handler<K extends CallName> = (request: Req<K>) => Res<K> | Promise<Res<K>>;
export type Handlers = { [K in CallName]?: Handler<K> };

/**
 * The in-memory host for component tests: the same WorkbenchApi the real
 * hosts implement, answering from handlers the test supplies and letting the
 * test push events. Calls without a handler fail like an unknown call would.
 */
export class FakeApi implements HostApi {
  readonly hostKind = 'test' as const;
  readonly calls: { name: CallName; request: unknown }[] = [];
  /** Files the UI asked to save (Download). */
  readonly downloads: string[] = [];
  /** The system folder dialog, where a test gives the host one (Electron has it). */
  pickFolder?: () => Promise<string | null>;
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();

  constructor(private readonly handlers: Handlers = {}) {}

  handle<K extends CallName>(name: K, handler: Handler<K>): this {
    (this.handlers as Record<string, unknown>)[name] = handler;
    return this;
  }

  async call<K extends CallName>(name: K, request: Req<K>): Promise<Res<K>> {
    this.calls.push({ name, request });
    const handler = this.handlers[name] as Handler<K> | undefined;
    if (!handler) throw new ApiError('unknown_call', `No handler for ${name} in this test`);
    return handler(request);
  }

  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    const wrapped = (payload: unknown) => listener(payload as EventMap[E]);
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(payload);
  }

  listenerCount(event: EventName): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  callsOf(name: CallName): unknown[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.request);
  }

  fileUrl(path: string, options?: { thumb?: number }): string {
    return `test-file://${encodeURIComponent(path)}${options?.thumb ? `?thumb=${options.thumb}` : ''}`;
  }

  sampleUrl(id: number, options?: { thumb?: number }): string {
    return `test-sample://${id}${options?.thumb ? `?thumb=${options.thumb}` : ''}`;
  }

  download(path: string): Promise<void> {
    this.downloads.push(path);
    return Promise.resolve();
  }
}
