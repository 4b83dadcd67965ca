import type { SamplePage, SampleSummary } from '../../../src-main/common/contract/index.ts';

export type PageFetcher = (offset: number, limit: number) => Promise<SamplePage>;

/**
 * Samples of one filter, fetched page by page as the grid scrolls: a grid over
 * 100,000 images asks only for the pages whose rows are on screen. A new filter
 * gets a new instance, so late replies for an old filter are simply dropped.
 */
export class SamplePages {
  private readonly pages = new Map<number, SampleSummary[]>();
  private readonly inFlight = new Map<number, Promise<void>>();
  total: number | null = null;

  constructor(
    private readonly fetchPage: PageFetcher,
    readonly pageSize = 200,
    /** Called when a page arrives, so the view can re-render. */
    private readonly onChange: () => void = () => {},
  ) {}

  get(index: number): SampleSummary | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Makes sure samples [from, to] are loaded (or loading). */
  async ensure(from: number, to: number): Promise<void> {
    const first = Math.floor(Math.max(0, from) / this.pageSize);
    const last = Math.floor(Math.max(0, to) / this.pageSize);
    const waits: Promise<void>[] = [];
    for (let page = first; page <= last; page++) {
      if (this.pages.has(page)) continue;
      if (this.total !== null && page * this.pageSize >= this.total) break;
      let pending = this.inFlight.get(page);
      if (!pending) {
        pending = this.fetchPage(page * this.pageSize, this.pageSize).then(
          (result) => {
            this.total = result.total;
            this.pages.set(page, result.items);
            this.inFlight.delete(page);
            this.onChange();
          },
          (error: unknown) => {
            this.inFlight.delete(page);
            throw error;
          },
        );
        this.inFlight.set(page, pending);
      }
      waits.push(pending);
    }
    await Promise.all(waits);
  }

  /** The sample at `index`, loading its page when needed. */
  async at(index: number): Promise<SampleSummary | undefined> {
    await this.ensure(index, index);
    return this.get(index);
  }

  get loadedPages(): number {
    return this.pages.size;
  }
}
