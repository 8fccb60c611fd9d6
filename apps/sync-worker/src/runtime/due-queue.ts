/**
 * Ids ordered by when they are next due (issue #12: a worker's tick costs what is due, not what it owns). A binary
 * min-heap with lazy deletion: `schedule` only ever adds a time, and the caller re-checks an id when it comes up, so
 * a due time that moved later costs one stale entry, not a search. Each id keeps at most its earliest entry: a later
 * `schedule` of an id already due sooner is a no-op, and an entry that is no longer its id's earliest is skipped.
 */
export class DueQueue {
  private readonly heap: { at: number; id: string }[] = [];
  /** The earliest time each id is in the heap for. */
  private readonly earliest = new Map<string, number>();

  get size(): number {
    return this.earliest.size;
  }

  /** `id` is to be looked at no later than `at` (ms since epoch). */
  schedule(id: string, at: number): void {
    const current = this.earliest.get(id);
    if (current !== undefined && current <= at) return;
    this.earliest.set(id, at);
    this.push({ at, id });
  }

  /** The earliest time anything is due, or null when nothing is scheduled. */
  peek(): number | null {
    this.dropStale();
    return this.heap[0]?.at ?? null;
  }

  /** Removes and returns the next id due at or before `now`, or null. */
  pop(now: number): string | null {
    this.dropStale();
    const top = this.heap[0];
    if (!top || top.at > now) return null;
    this.removeTop();
    this.earliest.delete(top.id);
    return top.id;
  }

  clear(): void {
    this.heap.length = 0;
    this.earliest.clear();
  }

  private dropStale(): void {
    for (let top = this.heap[0]; top && this.earliest.get(top.id) !== top.at; top = this.heap[0])
      this.removeTop();
  }

  private push(entry: { at: number; id: string }): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= entry.at) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = entry;
  }

  private removeTop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= h.length) break;
      const right = left + 1;
      const child = right < h.length && h[right]!.at < h[left]!.at ? right : left;
      if (h[child]!.at >= last.at) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = last;
  }
}
