/**
 * One WebSocket to the browser host's event stream, reconnecting with
 * exponential backoff (0.5 s doubling to 10 s) so a restarted host or a laptop
 * waking up does not leave the UI deaf.
 */
export class EventSocket {
  private socket: WebSocket | null = null;
  private retryMs = 500;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private everConnected = false;

  constructor(
    private readonly url: string,
    private readonly onMessage: (event: string, payload: unknown) => void,
    /** Called after a reconnect, so stores can refetch what they may have missed. */
    private readonly onReconnect: () => void,
  ) {}

  open(): void {
    if (this.socket || this.closed) return;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 500;
      if (this.everConnected) this.onReconnect();
      this.everConnected = true;
    };
    socket.onmessage = (message) => {
      try {
        const data = JSON.parse(String(message.data)) as { event?: unknown; payload?: unknown };
        if (typeof data.event === 'string') this.onMessage(data.event, data.payload);
      } catch {
        // A malformed frame is dropped; the next data.changed brings views back in sync.
      }
    };
    socket.onclose = () => {
      this.socket = null;
      if (this.closed) return;
      this.timer = setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close();
    this.socket = null;
  }
}
