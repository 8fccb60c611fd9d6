/**
 * P-11: at most N simultaneous Exchange requests per mailbox (credentials in the mailbox) or per profile
 * (credentials in the profile), across all workers. The cross-worker implementation (a lease semaphore in
 * MongoDB) lives elsewhere; this is the contract every EWS call of a connection goes through.
 */
export type Release = () => void | Promise<void>;

export interface ConnectionLimiter {
  /**
   * Wait for one of `limit` slots under `key`. The lease lapses after `ttlMs` if never released (a crashed
   * worker must not hold a slot for ever). The returned release is idempotent.
   */
  acquire(key: string, limit: number, ttlMs: number): Promise<Release>;
}

/** Run `fn` holding one slot; the slot is released however `fn` ends. */
export async function withLimit<T>(
  limiter: ConnectionLimiter,
  key: string,
  limit: number,
  ttlMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const release = await limiter.acquire(key, limit, ttlMs);
  try {
    return await fn();
  } finally {
    await release();
  }
}

interface Lease {
  expiresAt: number;
}
interface Waiter {
  limit: number;
  ttlMs: number;
  grant: (r: Release) => void;
}

/** In-process limiter (unit tests, single-process tools). FIFO per key; expired leases are reclaimed. */
export class InMemoryConnectionLimiter implements ConnectionLimiter {
  private readonly leases = new Map<string, Set<Lease>>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Highest number of simultaneous holders seen per key (tests assert the limit held). */
  readonly highWater = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  acquire(key: string, limit: number, ttlMs: number): Promise<Release> {
    if (!(limit >= 1)) return Promise.reject(new RangeError(`limit must be ≥ 1, got ${limit}`));
    return new Promise<Release>((grant) => {
      const queue = this.waiters.get(key) ?? [];
      queue.push({ limit, ttlMs, grant });
      this.waiters.set(key, queue);
      this.pump(key);
    });
  }

  /** Holders right now under `key`. */
  inUse(key: string): number {
    this.prune(key);
    return this.leases.get(key)?.size ?? 0;
  }

  private prune(key: string): void {
    const set = this.leases.get(key);
    if (!set) return;
    const t = this.now();
    for (const l of set) if (l.expiresAt <= t) set.delete(l);
  }

  private pump(key: string): void {
    this.prune(key);
    const set = this.leases.get(key) ?? new Set<Lease>();
    this.leases.set(key, set);
    const queue = this.waiters.get(key) ?? [];
    while (queue.length && set.size < (queue[0]?.limit ?? 0)) {
      const w = queue.shift() as Waiter;
      const lease: Lease = { expiresAt: this.now() + w.ttlMs };
      set.add(lease);
      this.highWater.set(key, Math.max(this.highWater.get(key) ?? 0, set.size));
      let released = false;
      w.grant(() => {
        if (released) return;
        released = true;
        set.delete(lease);
        this.pump(key);
      });
    }
    if (!queue.length) this.waiters.delete(key);
    this.armExpiry(key, set, queue.length > 0);
  }

  /** While someone waits, wake up when the earliest lease lapses. */
  private armExpiry(key: string, set: Set<Lease>, waiting: boolean): void {
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    this.timers.delete(key);
    if (!waiting || !set.size) return;
    const next = Math.min(...[...set].map((l) => l.expiresAt));
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        this.pump(key);
      },
      Math.max(0, next - this.now()) + 1,
    );
    timer.unref();
    this.timers.set(key, timer);
  }
}

/** No limit at all (tools, or when the caller limits elsewhere). */
export const UNLIMITED: ConnectionLimiter = {
  acquire: () => Promise.resolve(() => undefined),
};
