/**
 * What waits for one partition's next transaction (CommandProcessor.decideHere). Each item may wait its own time;
 * the transaction goes when the most pressing item's wait is over and takes everything waiting then, so an item
 * that may wait long usually rides in a transaction another opened instead of opening its own.
 */
export class LingerQueue<T> {
  private items: T[] = [];
  /** When the transaction is due (ms on `now`'s clock): the earliest deadline of the items waiting. */
  private dueAt = Infinity;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly flush: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  add(item: T, lingerMs: number): void {
    this.items.push(item);
    const dueAt = this.now() + lingerMs;
    // Once due (the flush may still wait for the partition's lock), later items join it.
    if (dueAt >= this.dueAt) return;
    this.dueAt = dueAt;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (lingerMs > 0) this.timer = setTimeout(this.flush, lingerMs);
    else this.flush();
  }

  /** Everything waiting, for the transaction about to run; the next item starts a new wait. */
  take(): T[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dueAt = Infinity;
    const items = this.items;
    this.items = [];
    return items;
  }
}
