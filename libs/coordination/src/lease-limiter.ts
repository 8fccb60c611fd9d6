import { randomUUID } from 'node:crypto';
import { Collection, Db } from 'mongodb';

/** One slot of a key's semaphore: free when `expiresAt` has passed (a crashed holder's lease lapses by itself). */
interface SlotDocument {
  _id: string;
  key: string;
  index: number;
  holder: string | null;
  expiresAt: number;
}

function isDuplicateKey(error: unknown): boolean {
  const e = error as { code?: number; message?: string } | null;
  return e?.code === 11000 || /E11000|duplicate key/i.test(e?.message ?? '');
}

export class LeaseTimeoutError extends Error {
  constructor(
    readonly key: string,
    readonly limit: number,
    waitedMs: number,
  ) {
    super(`no free connection slot for ${key} (limit ${limit}) after ${waitedMs} ms`);
    this.name = 'LeaseTimeoutError';
  }
}

/** A waiter's note that it found every slot of `key` taken (one per waiting limiter, rewritten while it waits). */
interface WantDocument {
  _id: string;
  key: string;
  waiter: string;
  until: number;
}

/** One slot held in MongoDB. */
export interface MongoLease {
  /** The slot document's `_id` (`key#index`). */
  readonly id: string;
  /** When the lease lapses, as first written (by this process's clock). */
  readonly expiresAt: number;
  /** Gives the slot back (guarded by this lease's token: never frees a later holder's lease). Idempotent. */
  readonly release: () => Promise<void>;
  /**
   * Extends the lease to `ttlMs` from now, only if it is still this holder's and has not lapsed yet. Returns the
   * new expiry, or false when nothing matched: the lease is lost (lapsed, reclaimed, or released).
   */
  readonly renew: (ttlMs: number) => Promise<number | false>;
}

export interface LeaseLimiterOptions {
  /** How long `acquire` waits for a slot before giving up. */
  maxWaitMs?: number;
  /** First and largest pause between attempts while every slot is taken (jittered, doubling). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Identifies this process in the slot documents (diagnostics only). */
  owner?: string;
  now?: () => number;
}

/**
 * P-11 across all workers: a counting semaphore in MongoDB. A lease is a document whose `_id` names the key and a
 * slot number below the limit, so holding a slot is an `insertOne` the unique `_id` makes atomic, and giving it back
 * is a `deleteOne` guarded by the holder's token. Nothing relies on `findOneAndUpdate` being atomic: FerretDB v1
 * (the MongoDB-compatible server used here) evaluates updates in its own process, and two concurrent
 * read-modify-writes of one slot both succeed there (measured: 7 holders under a limit of 3). Unique inserts are
 * atomic on MongoDB 7 and on FerretDB alike. No transactions, no TTL indexes.
 *
 * A crashed holder's lease lapses at `expiresAt`; the first worker to insert a reclaim marker for that exact lease
 * (again a unique `_id`) removes it, so one lapsed lease is reclaimed once. Lowering a limit applies to new
 * acquisitions at once (no slot at or above the limit is handed out); raising it opens more slots.
 */
export class MongoLeaseLimiter {
  private readonly slots: Collection<SlotDocument>;
  private readonly reclaims: Collection<{ _id: string; at: number }>;
  private readonly wants: Collection<WantDocument>;
  private readonly owner: string;
  private readonly now: () => number;
  /** MongoDB round trips made so far, by kind (plain counters: cheap to read for logs, benches and tests). */
  readonly ops = { finds: 0, inserts: 0, deletes: 0, renewals: 0, reclaims: 0, wants: 0 };

  constructor(
    db: Db,
    private readonly options: LeaseLimiterOptions = {},
    collection = 'connection_slots',
  ) {
    this.slots = db.collection<SlotDocument>(collection);
    this.reclaims = db.collection<{ _id: string; at: number }>(`${collection}_reclaims`);
    this.wants = db.collection<WantDocument>(`${collection}_wants`);
    this.owner = options.owner ?? `pid-${process.pid}`;
    this.now = options.now ?? Date.now;
  }

  /** Tries once to take a free slot; returns a release function or null. */
  async tryAcquire(key: string, limit: number, ttlMs: number): Promise<(() => Promise<void>) | null> {
    const lease = await this.tryLease(key, limit, ttlMs);
    return lease ? lease.release : null;
  }

  /**
   * Tries once to take a free slot; returns the lease (release it, or renew it before it lapses) or null. Costs one
   * `find` plus one `insertOne` per free slot tried (plus a reclaim of each lapsed lease seen).
   */
  async tryLease(key: string, limit: number, ttlMs: number): Promise<MongoLease | null> {
    return (await this.tryLeases(key, limit, ttlMs, 1))[0] ?? null;
  }

  /**
   * Tries once to take up to `count` free slots: one `find`, then an `insertOne` per free slot tried until `count`
   * are taken. A process that needs several slots asks once: several `tryLease` calls at the same moment each read
   * the same free slots and race each other for them (measured in `bench:sync`: ~11 refused inserts per slot taken,
   * each an aborted PostgreSQL insert under FerretDB).
   */
  async tryLeases(key: string, limit: number, ttlMs: number, count: number): Promise<MongoLease[]> {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    const now = this.now();
    this.ops.finds += 1;
    const leases = await this.slots
      .find({ key }, { projection: { _id: 1, index: 1, holder: 1, expiresAt: 1 } })
      .toArray();
    const taken = new Set<number>();
    const lapsed: SlotDocument[] = [];
    for (const lease of leases) {
      if (lease.expiresAt <= now) lapsed.push(lease);
      else taken.add(lease.index);
    }
    for (const lease of lapsed) await this.reclaim(lease);
    const won: MongoLease[] = [];
    // Leases in slots above a lowered limit still count until they are given back.
    if (taken.size >= limit) return won;
    const free = Array.from({ length: limit }, (_, i) => i).filter((i) => !taken.has(i));
    // Start at a random free slot so that workers do not all race for slot 0.
    const offset = Math.floor(Math.random() * Math.max(1, free.length));
    try {
      for (let n = 0; n < free.length && won.length < count; n += 1) {
        const lease = await this.insertLease(key, free[(offset + n) % free.length]!, now + ttlMs);
        if (lease) won.push(lease);
      }
    } catch (error) {
      // Nobody will use what was taken before the failure: give it back now rather than after its TTL.
      await Promise.all(won.map((l) => l.release().catch(() => undefined)));
      throw error;
    }
    return won;
  }

  /** One slot, if nobody holds it: the unique `_id` decides. */
  private async insertLease(key: string, index: number, expiresAt: number): Promise<MongoLease | null> {
    const token = `${this.owner}:${randomUUID()}`;
    const _id = `${key}#${index}`;
    try {
      this.ops.inserts += 1;
      await this.slots.insertOne({ _id, key, index, holder: token, expiresAt });
    } catch (error) {
      if (isDuplicateKey(error)) return null;
      throw error;
    }
    let released = false;
    return {
      id: _id,
      expiresAt,
      release: async () => {
        if (released) return;
        released = true;
        this.ops.deletes += 1;
        await this.slots.deleteOne({ _id, holder: token });
      },
      renew: async (renewTtlMs: number) => {
        if (released) return false;
        const at = this.now();
        this.ops.renewals += 1;
        // Only while still ours and not yet lapsed: a lapsed lease may already be reclaimed by another worker.
        const res = await this.slots.updateOne(
          { _id, holder: token, expiresAt: { $gt: at } },
          { $set: { expiresAt: at + renewTtlMs } },
        );
        return res.matchedCount === 1 ? at + renewTtlMs : false;
      },
    };
  }

  /** Removes a lapsed lease, once: only the worker whose reclaim marker for that exact lease is new removes it. */
  private async reclaim(lease: SlotDocument): Promise<void> {
    try {
      this.ops.inserts += 1;
      await this.reclaims.insertOne({
        _id: `${lease._id}~${lease.holder ?? ''}~${lease.expiresAt}`,
        at: this.now(),
      });
    } catch (error) {
      if (isDuplicateKey(error)) return;
      throw error;
    }
    this.ops.reclaims += 1;
    await this.slots.deleteOne({ _id: lease._id, holder: lease.holder, expiresAt: lease.expiresAt });
  }

  /**
   * Waits for one of `limit` slots under `key`; the lease lapses after `ttlMs` if never released. The returned
   * release is idempotent. Throws {@link LeaseTimeoutError} after `maxWaitMs`.
   */
  async acquire(key: string, limit: number, ttlMs: number): Promise<() => Promise<void>> {
    const started = this.now();
    const maxWait = this.options.maxWaitMs ?? 60000;
    let pause = this.options.minBackoffMs ?? 10;
    const maxPause = this.options.maxBackoffMs ?? 250;
    for (;;) {
      const release = await this.tryAcquire(key, limit, ttlMs);
      if (release) return release;
      const waited = this.now() - started;
      if (waited >= maxWait) throw new LeaseTimeoutError(key, limit, waited);
      await new Promise((r) => setTimeout(r, pause / 2 + Math.random() * pause));
      pause = Math.min(maxPause, pause * 2);
    }
  }

  /**
   * Says that `waiter` found every slot of `key` taken and is waiting, until `until` (ms since the epoch) unless
   * said again: holders that see it give slots back sooner (see PooledLeaseLimiter). One document per waiter and
   * key, written only by that waiter, so a plain upsert is enough on FerretDB too.
   */
  async want(key: string, waiter: string, until: number): Promise<void> {
    this.ops.wants += 1;
    await this.wants.updateOne(
      { _id: `${key}~${waiter}` },
      { $set: { key, waiter, until } },
      { upsert: true },
    );
  }

  /** `waiter` no longer waits for `key`. */
  async unwant(key: string, waiter: string): Promise<void> {
    this.ops.deletes += 1;
    await this.wants.deleteOne({ _id: `${key}~${waiter}` });
  }

  /** Whether anyone but `waiter` has said it waits for a slot of `key`, and the saying has not run out. */
  async wantedByOthers(key: string, waiter: string): Promise<boolean> {
    this.ops.finds += 1;
    const other = await this.wants.findOne(
      { key, waiter: { $ne: waiter }, until: { $gt: this.now() } },
      { projection: { _id: 1 } },
    );
    return other !== null;
  }

  /** Holders of `key` right now (for metrics and tests). */
  async inUse(key: string): Promise<number> {
    return this.slots.countDocuments({ key, expiresAt: { $gt: this.now() } });
  }

  async ensureIndexes(): Promise<void> {
    await this.slots.createIndex({ key: 1 });
    await this.wants.createIndex({ key: 1 });
  }

  /**
   * Forgets reclaim markers older than `olderThanMs` (they only need to outlive a race) and the waits of limiters
   * that ran out that long ago (a process that died waiting). Returns how many documents went.
   */
  async pruneReclaims(olderThanMs = 3600000): Promise<number> {
    const before = this.now() - olderThanMs;
    const reclaims = await this.reclaims.deleteMany({ at: { $lt: before } });
    const wants = await this.wants.deleteMany({ until: { $lt: before } });
    return reclaims.deletedCount + wants.deletedCount;
  }
}
