import type { EventMap, EventName } from '../common/contract/index.ts';

type Listener<E extends EventName> = (payload: EventMap[E]) => void;
type AnyListener = (event: EventName, payload: EventMap[EventName]) => void;

/** Typed in-process publish/subscribe; hosts forward every event to their clients. */
export class EventBus {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();
  private readonly wildcard = new Set<AnyListener>();

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    for (const l of this.listeners.get(event) ?? []) l(payload);
    for (const l of this.wildcard) l(event, payload);
  }

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<EventName>);
    return () => set.delete(listener as Listener<EventName>);
  }

  /** Every event, for transports that forward them all (WebSocket, IPC). */
  onAny(listener: AnyListener): () => void {
    this.wildcard.add(listener);
    return () => this.wildcard.delete(listener);
  }
}
