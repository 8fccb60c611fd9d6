import { LeaseTimeoutError, MongoLease } from './lease-limiter';
import { LeaseSource, PooledLeaseLimiter, PooledLeaseLimiterOptions } from './pooled-lease-limiter';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The MongoDB semaphore's semantics in memory: `limit` slots per key, leases lapse, renewals are guarded. */
class FakeLeases implements LeaseSource {
  readonly leases = new Map<string, { token: number; expiresAt: number }>();
  tries = 0;
  acquires = 0;
  deletes = 0;
  /** Renewals fail while set (as if another process had reclaimed the slot). */
  refuseRenewals = false;
  /**
   * While set, a renewal reads the lease, waits for this, then writes it back by id whatever is there now — as
   * FerretDB v1 applies an update (read, modify, write back). `pausedRenewals` counts those waiting.
   */
  renewalGate: Promise<void> | undefined;
  pausedRenewals = 0;
  private next = 0;

  /** Asks made (one per pooled attempt), and the most asked of one. */
  asks = 0;
  largestAsk = 0;
  /** Who said they wait, per key, and until when. */
  readonly waits = new Map<string, Map<string, number>>();

  want(key: string, waiter: string, until: number): Promise<void> {
    const waits = this.waits.get(key) ?? new Map<string, number>();
    waits.set(waiter, until);
    this.waits.set(key, waits);
    return Promise.resolve();
  }

  unwant(key: string, waiter: string): Promise<void> {
    this.waits.get(key)?.delete(waiter);
    return Promise.resolve();
  }

  wantedByOthers(key: string, waiter: string): Promise<boolean> {
    const now = Date.now();
    return Promise.resolve(
      [...(this.waits.get(key) ?? [])].some(([w, until]) => w !== waiter && until > now),
    );
  }

  pruneReclaims(): Promise<number> {
    return Promise.resolve(0);
  }

  waiting(key: string): number {
    return this.waits.get(key)?.size ?? 0;
  }

  async tryLeases(key: string, limit: number, ttlMs: number, count: number): Promise<MongoLease[]> {
    this.asks += 1;
    this.largestAsk = Math.max(this.largestAsk, count);
    const won: MongoLease[] = [];
    while (won.length < count) {
      const lease = await this.tryLease(key, limit, ttlMs);
      if (!lease) break;
      won.push(lease);
    }
    return won;
  }

  tryLease(key: string, limit: number, ttlMs: number): Promise<MongoLease | null> {
    this.tries += 1;
    const now = Date.now();
    for (const [id, l] of this.leases) if (l.expiresAt <= now) this.leases.delete(id);
    const taken = [...this.leases.keys()].filter((id) => id.startsWith(`${key}#`)).length;
    if (taken >= limit) return Promise.resolve(null);
    for (let i = 0; i < limit; i += 1) {
      const id = `${key}#${i}`;
      if (this.leases.has(id)) continue;
      const token = (this.next += 1);
      const expiresAt = now + ttlMs;
      this.leases.set(id, { token, expiresAt });
      this.acquires += 1;
      return Promise.resolve({
        id,
        expiresAt,
        release: () => {
          if (this.leases.get(id)?.token === token) {
            this.leases.delete(id);
            this.deletes += 1;
          }
          return Promise.resolve();
        },
        renew: async (renewTtl: number) => {
          const l = this.leases.get(id);
          const at = Date.now();
          if (this.refuseRenewals || l?.token !== token || l.expiresAt <= at) return false;
          const written = { token, expiresAt: at + renewTtl };
          if (this.renewalGate) {
            this.pausedRenewals += 1;
            await this.renewalGate;
            this.pausedRenewals -= 1;
          }
          if (this.leases.has(id)) this.leases.set(id, written); // UPDATE … WHERE _id: overwrites whoever is there
          return written.expiresAt;
        },
      });
    }
    return Promise.resolve(null);
  }

  held(key: string): number {
    const now = Date.now();
    return [...this.leases].filter(([id, l]) => id.startsWith(`${key}#`) && l.expiresAt > now).length;
  }
}

describe('PooledLeaseLimiter (fake lease store)', () => {
  const limiters: PooledLeaseLimiter[] = [];
  const make = (leases: LeaseSource, options: PooledLeaseLimiterOptions = {}) => {
    const l = new PooledLeaseLimiter(leases, {
      minBackoffMs: 2,
      maxBackoffMs: 10,
      contentionCheckMs: 5,
      ...options,
    });
    limiters.push(l);
    return l;
  };
  afterEach(async () => {
    await Promise.all(limiters.splice(0).map((l) => l.close()));
  });

  it('reuses a held slot for sequential requests: one lease for many calls', async () => {
    const leases = new FakeLeases();
    const pool = make(leases);
    for (let i = 0; i < 50; i += 1) await (await pool.acquire('k', 3, 60_000))();
    expect(leases.acquires).toBe(1);
    expect(pool.stats()).toMatchObject({ mongoAcquires: 1, localReuses: 49, held: 1, busy: 0 });
    await pool.close();
    expect(leases.held('k')).toBe(0);
    expect(pool.stats().mongoReleases).toBe(1);
  });

  it('serves waiters first come, first served, and never runs more than the limit', async () => {
    const leases = new FakeLeases();
    const pool = make(leases);
    const order: number[] = [];
    let current = 0;
    let highWater = 0;
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const release = await pool.acquire('k', 2, 60_000);
        order.push(i);
        current += 1;
        highWater = Math.max(highWater, current);
        await sleep(1);
        current -= 1;
        await release();
      }),
    );
    expect(highWater).toBe(2);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(leases.acquires).toBe(2);
  });

  it('asks the store once at a time per key, for every slot its waiters need', async () => {
    const leases = new FakeLeases();
    let inFlight = 0;
    let mostInFlight = 0;
    const counting: LeaseSource = {
      want: (...a) => leases.want(...a),
      unwant: (...a) => leases.unwant(...a),
      wantedByOthers: (...a) => leases.wantedByOthers(...a),
      pruneReclaims: () => leases.pruneReclaims(),
      tryLeases: async (key, limit, ttlMs, count) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await sleep(5);
        try {
          return await leases.tryLeases(key, limit, ttlMs, count);
        } finally {
          inFlight -= 1;
        }
      },
    };
    const pool = make(counting);
    const releases = await Promise.all(Array.from({ length: 10 }, () => pool.acquire('k', 10, 60_000)));
    expect(mostInFlight).toBe(1);
    // The first request's ask, then one for the nine that came while it ran.
    expect(leases.asks).toBe(2);
    expect(leases.largestAsk).toBe(9);
    expect(pool.stats()).toMatchObject({ mongoAcquires: 10, mongoAttempts: 2, busy: 10 });
    await Promise.all(releases.map((r) => r()));
  });

  it('several pools share the limit of the store', async () => {
    const leases = new FakeLeases();
    const pools = [0, 1, 2].map(() => make(leases, { maxHoldMs: 5, idleReleaseMs: 1 }));
    let current = 0;
    let highWater = 0;
    await Promise.all(
      Array.from({ length: 90 }, async (_, i) => {
        const release = await pools[i % 3]!.acquire('k', 2, 60_000);
        current += 1;
        highWater = Math.max(highWater, current);
        await sleep(2);
        current -= 1;
        await release();
      }),
    );
    expect(highWater).toBeLessThanOrEqual(2);
    for (const p of pools) expect(p.stats().mongoAcquires).toBeGreaterThan(0);
  });

  it('keeps an idle slot while nobody else waits for the key, and gives it back after idleKeepMs', async () => {
    const leases = new FakeLeases();
    const pool = make(leases, { idleReleaseMs: 10, idleKeepMs: 200 });
    await (
      await pool.acquire('k', 1, 60_000)
    )();
    await sleep(100);
    expect(leases.held('k')).toBe(1);
    for (let i = 0; i < 100 && leases.held('k'); i += 1) await sleep(10);
    expect(leases.held('k')).toBe(0);
    expect(pool.holding('k')).toEqual({ held: 0, busy: 0, contended: false });
    expect(pool.stats()).toMatchObject({ idleReturns: 1, mongoReleases: 1 });
  });

  it('reuses the slot idle the shortest time, so the extra slots of a burst go back after idleKeepMs', async () => {
    const leases = new FakeLeases();
    const pool = make(leases, { idleKeepMs: 100, idleReleaseMs: 10 });
    const burst = await Promise.all([1, 2, 3].map(() => pool.acquire('k', 3, 60_000)));
    await Promise.all(burst.map((release) => release()));
    for (let i = 0; i < 40; i += 1) {
      await (
        await pool.acquire('k', 3, 60_000)
      )();
      await sleep(5);
    }
    expect(pool.holding('k').held).toBe(1);
    expect(pool.stats()).toMatchObject({ idleReturns: 2, mongoAcquires: 3 });
  });

  it('hands a slot on locally however long it is held while nobody else waits', async () => {
    const leases = new FakeLeases();
    const pool = make(leases, { maxHoldMs: 10 });
    const first = await pool.acquire('k', 1, 60_000);
    const second = pool.acquire('k', 1, 60_000);
    await sleep(40);
    await first();
    await (
      await second
    )();
    expect(pool.stats()).toMatchObject({ maxHoldReturns: 0, localReuses: 1, mongoAcquires: 1 });
    expect(leases.deletes).toBe(0);
  });

  it('once another process waits: an idle slot goes back after idleReleaseMs', async () => {
    const leases = new FakeLeases();
    const holder = make(leases, { idleReleaseMs: 20, idleKeepMs: 60_000 });
    const other = make(leases, { idleKeepMs: 60_000 });
    await (
      await holder.acquire('k', 1, 60_000)
    )();
    const release = await other.acquire('k', 1, 60_000);
    expect(holder.stats()).toMatchObject({ idleReturns: 1, mongoReleases: 1 });
    expect(holder.stats().contendedChecks).toBeGreaterThan(0);
    expect(other.stats().wants).toBeGreaterThan(0);
    // The waiter took its note back once served.
    expect(leases.waiting('k')).toBe(0);
    await release();
  });

  it('once another process waits: a slot held longer than maxHoldMs goes back at its release, not handed on', async () => {
    const leases = new FakeLeases();
    const pool = make(leases, { maxHoldMs: 30 });
    const other = make(leases);
    const first = await pool.acquire('k', 1, 60_000);
    const second = pool.acquire('k', 1, 60_000);
    const third = other.acquire('k', 1, 60_000);
    for (let i = 0; i < 100 && !pool.holding('k').contended; i += 1) await sleep(5);
    await sleep(40);
    await first();
    expect(pool.stats().maxHoldReturns).toBe(1);
    await (
      await third
    )();
    await (
      await second
    )();
    expect(leases.acquires).toBe(3);
  });

  it('applies a lowered limit: no new grant above it, the excess goes back at release', async () => {
    const leases = new FakeLeases();
    const pool = make(leases);
    const held = await Promise.all([1, 2, 3].map(() => pool.acquire('k', 3, 60_000)));
    let granted = 0;
    const lowered = pool.acquire('k', 1, 60_000).then((release) => {
      granted += 1;
      return release;
    });
    await held[0]!();
    await held[1]!();
    await sleep(5);
    expect(granted).toBe(0); // one request of the three still runs: the limit of 1 is reached
    expect(leases.held('k')).toBe(1);
    await held[2]!();
    const release = await lowered;
    expect(pool.holding('k')).toMatchObject({ held: 1, busy: 1 });
    await release();
  });

  it('never hands out a slot whose renewal matched nothing; the running request finishes', async () => {
    const leases = new FakeLeases();
    const pool = make(leases, { leaseTtlMs: 60, renewEveryMs: 15 });
    const release = await pool.acquire('k', 1, 60_000);
    leases.refuseRenewals = true;
    for (let i = 0; i < 100 && !pool.stats().lost; i += 1) await sleep(10);
    expect(pool.stats().lost).toBe(1);
    leases.refuseRenewals = false;
    const next = pool.acquire('k', 1, 60_000);
    await release();
    await (
      await next
    )();
    expect(pool.stats()).toMatchObject({ mongoAcquires: 2, localReuses: 0 });
  });

  it('keeps renewing a held slot past the lease TTL', async () => {
    const leases = new FakeLeases();
    const pool = make(leases, { leaseTtlMs: 60, renewEveryMs: 15 });
    const release = await pool.acquire('k', 1, 60_000);
    for (let i = 0; i < 100 && pool.stats().renewals < 10; i += 1) await sleep(10);
    expect(pool.stats()).toMatchObject({ lost: 0 });
    expect(pool.stats().renewals).toBeGreaterThanOrEqual(10);
    expect(leases.held('k')).toBe(1);
    await release();
  });

  it('stops renewing a slot whose use outlived the caller’s ttl (a release that never comes)', async () => {
    const leases = new FakeLeases();
    const pool = make(leases, { leaseTtlMs: 60, renewEveryMs: 15 });
    await pool.acquire('k', 1, 30);
    for (let i = 0; i < 100 && leases.held('k'); i += 1) await sleep(10);
    expect(leases.held('k')).toBe(0);
    expect(pool.stats().lost).toBe(1);
  });

  it('does not give a slot back while its renewal is in flight (an update written back late must not resurrect it)', async () => {
    const leases = new FakeLeases();
    const a = make(leases, { leaseTtlMs: 300, renewEveryMs: 20, maxHoldMs: 1 });
    const b = make(leases, { leaseTtlMs: 300, renewEveryMs: 20 });
    const release = await a.acquire('k', 1, 60_000);
    const taken = b.acquire('k', 1, 60_000);
    for (let i = 0; i < 200 && !a.holding('k').contended; i += 1) await sleep(5);
    let open!: () => void;
    leases.renewalGate = new Promise<void>((r) => (open = r));
    for (let i = 0; i < 200 && !leases.pausedRenewals; i += 1) await sleep(5);
    expect(leases.pausedRenewals).toBe(1);
    // Held longer than maxHoldMs while b waits: goes back to the store at release — but only once the renewal
    // has come back.
    const released = release();
    await sleep(30);
    expect(b.holding('k')).toMatchObject({ held: 0, busy: 0 });
    leases.renewalGate = undefined;
    open();
    await released;
    const releaseB = await taken;
    // b's lease is its own: its renewals keep matching.
    const renewed = b.stats().renewals;
    for (let i = 0; i < 200 && b.stats().renewals < renewed + 3; i += 1) await sleep(5);
    expect(b.stats()).toMatchObject({ lost: 0 });
    expect(a.stats()).toMatchObject({ lost: 0, maxHoldReturns: 1 });
    await releaseB();
  });

  it('times out with LeaseTimeoutError when nothing frees up', async () => {
    const leases = new FakeLeases();
    const other = make(leases);
    const hog = await other.acquire('k', 1, 60_000);
    const pool = make(leases, { maxWaitMs: 50 });
    await expect(pool.acquire('k', 1, 60_000)).rejects.toBeInstanceOf(LeaseTimeoutError);
    expect(pool.stats().timeouts).toBe(1);
    await hog();
  });

  it('passes a store error to the request that needed the slot', async () => {
    const down = () => Promise.reject(new Error('store down'));
    const failing: LeaseSource = {
      tryLeases: down,
      want: down,
      unwant: down,
      wantedByOthers: down,
      pruneReclaims: down,
    };
    const pool = make(failing);
    await expect(pool.acquire('k', 1, 60_000)).rejects.toThrow('store down');
  });

  it('close fails waiters, gives idle slots back, and a busy one at its release', async () => {
    const leases = new FakeLeases();
    const pool = make(leases);
    const busy = await pool.acquire('k', 2, 60_000);
    await (
      await pool.acquire('k', 2, 60_000)
    )();
    const hog = await pool.acquire('k', 2, 60_000);
    const waiting = pool.acquire('k', 2, 60_000);
    await pool.close();
    await expect(waiting).rejects.toThrow(/closed/);
    await expect(pool.acquire('k', 2, 60_000)).rejects.toThrow(/closed/);
    expect(leases.held('k')).toBe(2);
    await busy();
    await hog();
    expect(leases.held('k')).toBe(0);
  });

  it('refuses a limit that is not a positive integer', async () => {
    await expect(make(new FakeLeases()).acquire('k', 0, 1000)).rejects.toBeInstanceOf(RangeError);
  });
});
