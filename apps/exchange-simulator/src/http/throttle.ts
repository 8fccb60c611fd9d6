/** Per-key in-flight counters with high-water marks: the budget Exchange calls EWSMaxConcurrency. */
export class ConcurrencyTracker {
  private current = new Map<string, number>();
  private high = new Map<string, number>();

  tryAcquire(key: string, limit: number): boolean {
    const c = this.current.get(key) ?? 0;
    if (limit > 0 && c >= limit) return false;
    this.acquire(key);
    return true;
  }
  acquire(key: string): void {
    const c = (this.current.get(key) ?? 0) + 1;
    this.current.set(key, c);
    if (c > (this.high.get(key) ?? 0)) this.high.set(key, c);
  }
  release(key: string): void {
    const c = (this.current.get(key) ?? 1) - 1;
    if (c <= 0) this.current.delete(key);
    else this.current.set(key, c);
  }
  snapshot(): Record<string, { current: number; highWater: number }> {
    const out: Record<string, { current: number; highWater: number }> = {};
    for (const [k, h] of this.high) out[k] = { current: this.current.get(k) ?? 0, highWater: h };
    return out;
  }
  resetHighWater(): void {
    this.high = new Map(this.current);
  }
}

/** Sliding one-window rate budget per key (optional; off when limit is 0). */
export class RateLimiter {
  private windows = new Map<string, { start: number; count: number }>();
  constructor(
    public limit: number,
    public windowMs: number,
  ) {}
  /** Returns 0 if allowed, else the milliseconds until the window resets. */
  take(key: string, now = Date.now()): number {
    if (this.limit <= 0) return 0;
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= this.limit) return Math.max(1, w.start + this.windowMs - now);
    w.count++;
    return 0;
  }
}
