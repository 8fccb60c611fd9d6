import { randomUUID } from 'node:crypto';
import { LeaseTimeoutError, MongoLease, MongoLeaseLimiter } from './lease-limiter';

/**
 * The pooled limiter's side of `ConnectionLimiter` (@ssync/exchange). Declared here, structurally, because
 * libs/coordination does not depend on libs/exchange; the sync worker passes a PooledLeaseLimiter where a
 * ConnectionLimiter is expected and the compiler checks that the shapes agree.
 */
export type PooledRelease = () => Promise<void>;

/** Where the pooled limiter takes its slots from: {@link MongoLeaseLimiter} (a fake in unit tests). */
export type LeaseSource = Pick<
  MongoLeaseLimiter,
  'tryLeases' | 'want' | 'unwant' | 'wantedByOthers' | 'pruneReclaims'
>;

export interface PooledLeaseLimiterOptions {
  /** TTL of the MongoDB leases; renewed while held, so a dead process's slots lapse within this. Default 15 s. */
  leaseTtlMs?: number;
  /** How often every held lease is renewed. Default leaseTtlMs / 3. */
  renewEveryMs?: number;
  /** While another process waits for the key: how long an idle slot is kept before it goes back. Default 1 s. */
  idleReleaseMs?: number;
  /**
   * While nobody else waits for the key: how long an idle slot is kept before it goes back. Default 15 s: held
   * longer, it costs more renewals than taking it again would (a find, an insert and a delete).
   */
  idleKeepMs?: number;
  /**
   * While another process waits for the key, a slot held continuously longer than this goes back to MongoDB at its
   * next release. Default 5 s.
   */
  maxHoldMs?: number;
  /** How often, while holding slots of a key, this process looks whether another one waits for it. Default 1 s. */
  contentionCheckMs?: number;
  /** How long a wait, once said, counts for others unless said again (said again at half of it). Default 3 s. */
  wantTtlMs?: number;
  /** How often lapsed reclaim markers and dead waiters' notes are removed (by every process). Default 1 h. */
  pruneEveryMs?: number;
  /** How long `acquire` waits for a slot before it throws {@link LeaseTimeoutError}. Default 60 s. */
  maxWaitMs?: number;
  /** First and largest pause between MongoDB attempts while every slot is taken (jittered, doubling). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
}

/** Counters since start (plain numbers: cheap to read for logs, benches and tests). */
export interface PooledLeaseStats {
  /** Slots taken in MongoDB. */
  mongoAcquires: number;
  /** MongoDB attempts (each a `find` and an `insertOne` per free slot tried), one in flight per key at a time. */
  mongoAttempts: number;
  /** Attempts that found every slot taken by others. */
  mongoMisses: number;
  /** Slots given back to MongoDB (idle, held too long, above a lowered limit, closing; a lost one is left to lapse). */
  mongoReleases: number;
  /** Grants of a slot this process already held: no MongoDB round trip. */
  localReuses: number;
  /** Slots given back because they had been held longer than `maxHoldMs` while another process waited. */
  maxHoldReturns: number;
  /** Idle slots given back (after `idleReleaseMs` while another process waited, `idleKeepMs` otherwise). */
  idleReturns: number;
  /** Looks at whether another process waits for a key this one holds slots of, and how many found one. */
  contentionChecks: number;
  contendedChecks: number;
  /** Notes written that this process waits for a key whose slots were all taken. */
  wants: number;
  /** Successful lease renewals. */
  renewals: number;
  /** Slots lost: a renewal matched nothing, the lease's expiry passed by our clock, or a use outlived its TTL. */
  lost: number;
  /** …of which: a renewal matched nothing (the lease had lapsed in MongoDB, or was not ours any more). */
  lostUnmatched: number;
  /** …of which: its expiry passed by our clock before a renewal came through. */
  lostExpired: number;
  /** …of which: a request ran on it for longer than the caller's `ttlMs` (it is then no longer renewed). */
  lostOverdue: number;
  /** `acquire` calls that gave up after `maxWaitMs`. */
  timeouts: number;
  /** MongoDB errors while releasing or renewing (the lease then lapses by itself). */
  errors: number;
}

interface Slot {
  readonly key: string;
  readonly lease: MongoLease;
  /** When the MongoDB lease lapses, by our clock (taken before the write was sent, so never later than MongoDB's). */
  expiresAt: number;
  /** When this process took it from MongoDB (for `maxHoldMs`). */
  readonly heldSince: number;
  busy: boolean;
  /** While busy: the caller's TTL for this use; past it the slot is no longer renewed (a leaked release). */
  useDeadline: number;
  /** When it last became idle. */
  idleSince: number;
  lost: boolean;
  idleTimer: NodeJS.Timeout | undefined;
  /** The renewal in flight, if any: the slot is not deleted before it has come back (see giveBack). */
  renewal: Promise<unknown> | undefined;
}

interface Waiter {
  readonly limit: number;
  readonly ttlMs: number;
  readonly started: number;
  readonly resolve: (release: PooledRelease) => void;
  readonly reject: (error: unknown) => void;
  timer: NodeJS.Timeout | undefined;
}

interface KeyState {
  readonly slots: Set<Slot>;
  readonly waiters: Waiter[];
  /** The limit of the latest `acquire` for this key (a lowered limit applies from then on). */
  limit: number;
  /** Slots asked of MongoDB by the attempt in flight (each may become a slot: counted against the limit). */
  pending: number;
  backoffMs: number;
  retryTimer: NodeJS.Timeout | undefined;
  /** Whether another process said, at the last look, that it waits for this key. */
  contended: boolean;
  /** Until when our own note that we wait for this key counts (0: none written, or taken back). */
  wantUntil: number;
}

/**
 * P-11 without a MongoDB round trip per request: a per-process pool in front of {@link MongoLeaseLimiter}.
 *
 * The slots this process holds in MongoDB stay held between requests and are reused locally. `acquire` takes a
 * held, idle slot if there is one (no round trip); otherwise, while this process holds fewer than `limit` slots of
 * the key, it tries to take one more in MongoDB; otherwise it queues (FIFO per key) until a local release or a later
 * MongoDB attempt (jittered, doubling back-off) serves it, for at most `maxWaitMs`. At most `limit` requests of a
 * key run at once in this process, and at most `limit` slots of it are held across all processes, so at most
 * `limit` run at once in total.
 *
 * A released slot goes to the next local waiter. Holding a slot costs a renewal every `renewEveryMs`; taking and
 * giving one back cost a find, an insert and a delete, so slots stay while nobody else needs them: an idle slot goes
 * back after `idleKeepMs`. A process that finds every slot of a key taken says so in MongoDB (`want`, rewritten
 * while it waits); holders look every `contentionCheckMs` and, while someone waits, give an idle slot back after
 * `idleReleaseMs` and a slot held continuously for longer than `maxHoldMs` at its next release instead of handing it
 * on: other processes get their turn (approximate fairness, not FIFO across processes). Slots above a lowered limit
 * go back at once.
 *
 * Leases are short (`leaseTtlMs`) and renewed every `renewEveryMs` by a guarded update (only while still ours and
 * not lapsed), so a SIGKILLed process's slots lapse within `leaseTtlMs`. A slot whose renewal matched nothing, or
 * whose expiry has passed by our clock, is lost: never handed out again, and no longer counted once the request
 * running on it, if any, ends. That request is not interrupted, so only a process stalled for longer than the TTL
 * (its renewals not running) can make the total exceed the limit. A lost slot's document is left to lapse and be
 * reclaimed once, not deleted (it is, or is about to be, someone else's to remove). The caller's `ttlMs` bounds one
 * use: a slot busy for longer than that (a release that never comes) is not renewed and lapses, as the
 * `ConnectionLimiter` contract says. Clocks of the processes must agree to well within `leaseTtlMs` (the lapse is
 * judged by the reader's clock against the writer's).
 *
 * No slot is deleted while its renewal is in flight: FerretDB v1 applies an update as read, modify, write back by
 * `_id`, so a late renewal could write this lease back over the next holder's of the same slot (seen in
 * `bench:sync`: the next holder's renewal then matched nothing).
 *
 * Timers are unref'd; `close()` stops them and gives every slot back.
 */
export class PooledLeaseLimiter {
  private readonly keys = new Map<string, KeyState>();
  private readonly leaseTtlMs: number;
  private readonly renewEveryMs: number;
  private readonly idleReleaseMs: number;
  private readonly idleKeepMs: number;
  private readonly maxHoldMs: number;
  private readonly contentionCheckMs: number;
  private readonly wantTtlMs: number;
  private readonly pruneEveryMs: number;
  /** This limiter in the notes of who waits (a process id is not unique across machines). */
  private readonly waiterId = randomUUID();
  private checkTimer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private lastPrune: number;
  private readonly maxWaitMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly now: () => number;
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private closed = false;
  private readonly counters: PooledLeaseStats = {
    mongoAcquires: 0,
    mongoAttempts: 0,
    mongoMisses: 0,
    mongoReleases: 0,
    localReuses: 0,
    maxHoldReturns: 0,
    idleReturns: 0,
    contentionChecks: 0,
    contendedChecks: 0,
    wants: 0,
    renewals: 0,
    lost: 0,
    lostUnmatched: 0,
    lostExpired: 0,
    lostOverdue: 0,
    timeouts: 0,
    errors: 0,
  };

  constructor(
    private readonly mongo: LeaseSource,
    options: PooledLeaseLimiterOptions = {},
  ) {
    this.leaseTtlMs = options.leaseTtlMs ?? 15_000;
    this.renewEveryMs = options.renewEveryMs ?? Math.floor(this.leaseTtlMs / 3);
    this.idleReleaseMs = options.idleReleaseMs ?? 1_000;
    this.idleKeepMs = options.idleKeepMs ?? 15_000;
    this.maxHoldMs = options.maxHoldMs ?? 5_000;
    this.contentionCheckMs = options.contentionCheckMs ?? 1_000;
    this.wantTtlMs = options.wantTtlMs ?? 3_000;
    this.pruneEveryMs = options.pruneEveryMs ?? 3_600_000;
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
    this.minBackoffMs = options.minBackoffMs ?? 10;
    this.maxBackoffMs = options.maxBackoffMs ?? 250;
    this.now = options.now ?? Date.now;
    this.lastPrune = this.now();
    if (!(this.leaseTtlMs > 0) || !(this.renewEveryMs > 0) || this.renewEveryMs >= this.leaseTtlMs)
      throw new RangeError(
        `need 0 < renewEveryMs (${this.renewEveryMs}) < leaseTtlMs (${this.leaseTtlMs}) for leases to be renewed in time`,
      );
  }

  /**
   * Waits for one of `limit` slots under `key` (FIFO among this process's callers). `ttlMs` bounds this use: if
   * not released by then, the slot is no longer renewed and lapses. The returned release is idempotent.
   */
  acquire(key: string, limit: number, ttlMs: number): Promise<PooledRelease> {
    if (!Number.isInteger(limit) || limit < 1)
      return Promise.reject(new RangeError(`limit must be a positive integer, got ${limit}`));
    if (this.closed) return Promise.reject(new Error('PooledLeaseLimiter is closed'));
    const state = this.state(key);
    state.limit = limit;
    return new Promise<PooledRelease>((resolve, reject) => {
      const waiter: Waiter = { limit, ttlMs, started: this.now(), resolve, reject, timer: undefined };
      state.waiters.push(waiter);
      this.pump(key, state);
      if (!state.waiters.includes(waiter)) return;
      waiter.timer = setTimeout(() => {
        const at = state.waiters.indexOf(waiter);
        if (at < 0) return;
        state.waiters.splice(at, 1);
        this.counters.timeouts += 1;
        reject(new LeaseTimeoutError(key, waiter.limit, this.now() - waiter.started));
        this.settleWant(key, state);
        this.forgetIfUnused(key, state);
      }, this.maxWaitMs);
    });
  }

  /** Counters since start, plus what is held and waiting right now. */
  stats(): PooledLeaseStats & { held: number; busy: number; waiting: number } {
    let held = 0;
    let busy = 0;
    let waiting = 0;
    for (const state of this.keys.values()) {
      held += state.slots.size;
      for (const slot of state.slots) if (slot.busy) busy += 1;
      waiting += state.waiters.length;
    }
    return { ...this.counters, held, busy, waiting };
  }

  /**
   * Slots of `key` held by this process (busy or idle), requests of it running here now, and whether another
   * process waited for it at the last look.
   */
  holding(key: string): { held: number; busy: number; contended: boolean } {
    const state = this.keys.get(key);
    if (!state) return { held: 0, busy: 0, contended: false };
    let busy = 0;
    for (const slot of state.slots) if (slot.busy) busy += 1;
    return { held: state.slots.size, busy, contended: state.contended };
  }

  /**
   * Stops the timers, fails every waiter and gives every idle slot back; a busy slot goes back when its request
   * releases it. Further `acquire` calls are refused.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stopRenewing();
    const backs: Promise<void>[] = [];
    for (const [key, state] of this.keys) {
      if (state.retryTimer) clearTimeout(state.retryTimer);
      state.retryTimer = undefined;
      for (const waiter of state.waiters.splice(0)) {
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.reject(new Error(`PooledLeaseLimiter closed while waiting for a slot of ${key}`));
      }
      for (const slot of [...state.slots]) if (!slot.busy) backs.push(this.giveBack(state, slot));
      this.settleWant(key, state);
    }
    await Promise.all(backs);
    await this.renewing;
    await this.checking;
  }

  /**
   * For tests: behave like a process that was SIGKILLed — stop every timer and forget all slots and waiters
   * without giving anything back to MongoDB (the leases lapse by themselves).
   */
  abandon(): void {
    this.closed = true;
    this.stopRenewing();
    for (const state of this.keys.values()) {
      if (state.retryTimer) clearTimeout(state.retryTimer);
      for (const waiter of state.waiters.splice(0)) if (waiter.timer) clearTimeout(waiter.timer);
      for (const slot of state.slots) if (slot.idleTimer) clearTimeout(slot.idleTimer);
      state.slots.clear();
    }
    this.keys.clear();
  }

  private state(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) {
      state = {
        slots: new Set(),
        waiters: [],
        limit: 1,
        pending: 0,
        backoffMs: this.minBackoffMs,
        retryTimer: undefined,
        contended: false,
        wantUntil: 0,
      };
      this.keys.set(key, state);
    }
    return state;
  }

  private forgetIfUnused(key: string, state: KeyState): void {
    if (
      !state.slots.size &&
      !state.waiters.length &&
      !state.pending &&
      !state.retryTimer &&
      !state.wantUntil &&
      this.keys.get(key) === state
    )
      this.keys.delete(key);
  }

  private usable(slot: Slot): boolean {
    if (slot.lost) return false;
    if (this.now() >= slot.expiresAt) {
      this.markLost(slot, 'lostExpired');
      return false;
    }
    return true;
  }

  private markLost(slot: Slot, why: 'lostUnmatched' | 'lostExpired' | 'lostOverdue'): void {
    if (slot.lost) return;
    slot.lost = true;
    this.counters.lost += 1;
    this.counters[why] += 1;
  }

  /** Serves waiters from idle slots, then starts MongoDB attempts for the rest, as far as the limit allows. */
  private pump(key: string, state: KeyState): void {
    if (this.closed) return;
    let busy = 0;
    for (const slot of state.slots) if (slot.busy) busy += 1;
    // Oldest-taken first, always in the same order: the slots a burst added stay unused afterwards and go back
    // after idleKeepMs, so a process holds about as many as it ran at once lately, not its peak ever since.
    for (const slot of [...state.slots]) {
      if (!state.waiters.length || busy >= state.limit) break;
      if (slot.busy) continue;
      if (!this.usable(slot)) {
        void this.giveBack(state, slot);
        continue;
      }
      this.grant(key, state, slot, state.waiters.shift()!);
      this.counters.localReuses += 1;
      busy += 1;
    }
    // Idle slots above a lowered limit are not needed here any more.
    for (const slot of [...state.slots]) {
      if (state.slots.size <= state.limit) break;
      if (!slot.busy) void this.giveBack(state, slot);
    }
    // One attempt at a time, for every slot the waiters need: concurrent ones would race each other for the same
    // free slots.
    if (state.retryTimer || state.pending > 0) return;
    const wanted = Math.min(state.waiters.length, state.limit - state.slots.size);
    if (wanted > 0) void this.attempt(key, state, wanted);
    else this.settleWant(key, state);
  }

  /** Says (again) that this process waits for `key`: every slot was taken when it asked. */
  private sayWant(state: KeyState, key: string): void {
    if (this.closed || state.wantUntil - this.now() > this.wantTtlMs / 2) return;
    state.wantUntil = this.now() + this.wantTtlMs;
    this.counters.wants += 1;
    this.mongo.want(key, this.waiterId, state.wantUntil).catch(() => (this.counters.errors += 1));
  }

  /** Takes our note back once nobody here waits any more (it would run out by itself within `wantTtlMs`). */
  private settleWant(key: string, state: KeyState): void {
    if (!state.wantUntil || (state.waiters.length && !this.closed)) return;
    state.wantUntil = 0;
    this.mongo.unwant(key, this.waiterId).catch(() => (this.counters.errors += 1));
  }

  private grant(key: string, state: KeyState, slot: Slot, waiter: Waiter): void {
    if (waiter.timer) clearTimeout(waiter.timer);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    slot.busy = true;
    slot.useDeadline = this.now() + waiter.ttlMs;
    let released = false;
    waiter.resolve(async () => {
      if (released) return;
      released = true;
      await this.release(key, state, slot);
    });
  }

  private async attempt(key: string, state: KeyState, wanted: number): Promise<void> {
    state.pending = wanted;
    this.counters.mongoAttempts += 1;
    this.ensureRenewing();
    let leases: MongoLease[] = [];
    let failure: unknown;
    try {
      leases = await this.mongo.tryLeases(key, state.limit, this.leaseTtlMs, wanted);
    } catch (error) {
      failure = error;
    }
    state.pending = 0;
    if (failure !== undefined) {
      // As with one MongoLeaseLimiter.acquire per request: the request that asked first gets the error.
      const waiter = state.waiters.shift();
      if (waiter?.timer) clearTimeout(waiter.timer);
      waiter?.reject(failure);
      this.backOff(key, state);
      return;
    }
    if (leases.length < wanted) this.sayWant(state, key);
    if (leases.length === 0) {
      this.counters.mongoMisses += 1;
      this.backOff(key, state);
      return;
    }
    this.counters.mongoAcquires += leases.length;
    state.backoffMs = this.minBackoffMs;
    for (const lease of leases) {
      const slot: Slot = {
        key,
        lease,
        expiresAt: lease.expiresAt,
        heldSince: this.now(),
        busy: false,
        useDeadline: 0,
        idleSince: 0,
        lost: false,
        idleTimer: undefined,
        renewal: undefined,
      };
      state.slots.add(slot);
      if (this.closed || state.slots.size > state.limit) {
        // Closing, or the limit was lowered while this attempt was in flight.
        await this.giveBack(state, slot);
        continue;
      }
      const waiter = state.waiters.shift();
      if (waiter) this.grant(key, state, slot, waiter);
      else this.idle(key, state, slot);
    }
    // Fewer than asked: the rest are taken by others; ask again after a pause, not at once.
    if (leases.length < wanted) this.backOff(key, state);
    else this.pump(key, state);
  }

  /** No MongoDB attempt for `key` for `ms` (local grants of held slots go on). */
  private pauseAttempts(key: string, state: KeyState, ms: number): void {
    if (state.retryTimer) return;
    state.retryTimer = setTimeout(() => {
      state.retryTimer = undefined;
      this.pump(key, state);
      this.forgetIfUnused(key, state);
    }, ms);
  }

  /** Every slot was taken (or MongoDB failed): try again after a jittered, doubling pause if anyone still waits. */
  private backOff(key: string, state: KeyState): void {
    if (this.closed || state.retryTimer || !state.waiters.length) {
      this.settleWant(key, state);
      this.forgetIfUnused(key, state);
      return;
    }
    const pause = state.backoffMs / 2 + Math.random() * state.backoffMs;
    state.backoffMs = Math.min(this.maxBackoffMs, state.backoffMs * 2);
    state.retryTimer = setTimeout(() => {
      state.retryTimer = undefined;
      this.pump(key, state);
      this.forgetIfUnused(key, state);
    }, pause);
  }

  private async release(key: string, state: KeyState, slot: Slot): Promise<void> {
    slot.busy = false;
    const tooLong = state.contended && this.now() - slot.heldSince > this.maxHoldMs;
    if (this.closed || !this.usable(slot) || state.slots.size > state.limit || tooLong) {
      const yielded = tooLong && !slot.lost && !this.closed;
      if (yielded) this.counters.maxHoldReturns += 1;
      await this.giveBack(state, slot);
      // Given back for the process that waits: our own waiters would take it again at once. They ask after the
      // longest pause the other side may be in instead.
      if (yielded) this.pauseAttempts(key, state, this.maxBackoffMs * 1.5);
      else this.pump(key, state);
      return;
    }
    const waiter = state.waiters.shift();
    if (waiter) {
      this.grant(key, state, slot, waiter);
      this.counters.localReuses += 1;
    } else {
      this.idle(key, state, slot);
    }
  }

  private idle(key: string, state: KeyState, slot: Slot): void {
    slot.idleSince = this.now();
    this.armIdle(key, state, slot);
  }

  /** Looks again every `idleReleaseMs`: whether someone waits for the key may change while the slot sits idle. */
  private armIdle(key: string, state: KeyState, slot: Slot): void {
    slot.idleTimer = setTimeout(
      () => {
        slot.idleTimer = undefined;
        if (slot.busy || !state.slots.has(slot)) return;
        if (!state.contended && this.now() - slot.idleSince < this.idleKeepMs) {
          this.armIdle(key, state, slot);
          return;
        }
        this.counters.idleReturns += 1;
        void this.giveBack(state, slot).then(() => this.pump(key, state));
      },
      Math.min(this.idleReleaseMs, this.idleKeepMs),
    );
    slot.idleTimer.unref();
  }

  /** Back to MongoDB (token-guarded delete: a lost lease's doc, now someone else's, is left alone). */
  private async giveBack(state: KeyState, slot: Slot): Promise<void> {
    if (!state.slots.delete(slot)) return;
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    // A lost lease is not ours to delete any more (or will not be soon): it lapses and is reclaimed once. Even the
    // token-guarded delete could race a reclaim and a new holder's insert on a server that deletes non-atomically.
    if (slot.lost) {
      this.forgetIfUnused(slot.key, state);
      return;
    }
    this.counters.mongoReleases += 1;
    try {
      // FerretDB v1 applies an update as read, modify, write back by _id. A renewal still in flight could write
      // this lease back over the next holder's if the slot were deleted and taken again meanwhile: wait for it.
      if (slot.renewal) await slot.renewal.catch(() => undefined);
      await slot.lease.release();
    } catch {
      this.counters.errors += 1; // it lapses by itself within leaseTtlMs
    }
    this.forgetIfUnused(slot.key, state);
  }

  private ensureRenewing(): void {
    if (this.renewTimer || this.closed) return;
    this.renewTimer = setInterval(() => {
      if (!this.renewing) this.renewing = this.renewAll().finally(() => (this.renewing = undefined));
    }, this.renewEveryMs);
    this.renewTimer.unref();
    this.checkTimer = setInterval(() => {
      if (!this.checking) this.checking = this.checkContention().finally(() => (this.checking = undefined));
    }, this.contentionCheckMs);
    this.checkTimer.unref();
  }

  private stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.checkTimer) clearInterval(this.checkTimer);
    this.renewTimer = undefined;
    this.checkTimer = undefined;
  }

  /** For every key this process holds slots of: does another process wait for it? (One `findOne` per key.) */
  private async checkContention(): Promise<void> {
    const work: Promise<void>[] = [];
    for (const [key, state] of this.keys) {
      if (!state.slots.size) {
        state.contended = false;
        continue;
      }
      this.counters.contentionChecks += 1;
      work.push(
        this.mongo.wantedByOthers(key, this.waiterId).then(
          (wanted) => {
            state.contended = wanted;
            if (wanted) this.counters.contendedChecks += 1;
          },
          () => {
            this.counters.errors += 1; // keep the last answer; try again next time
          },
        ),
      );
    }
    if (this.now() - this.lastPrune >= this.pruneEveryMs) {
      this.lastPrune = this.now();
      work.push(
        this.mongo.pruneReclaims().then(
          () => undefined,
          () => {
            this.counters.errors += 1;
          },
        ),
      );
    }
    await Promise.all(work);
  }

  private async renewAll(): Promise<void> {
    const work: Promise<void>[] = [];
    for (const [key, state] of this.keys) {
      for (const slot of [...state.slots]) {
        if (slot.busy && this.now() > slot.useDeadline) this.markLost(slot, 'lostOverdue'); // a release that never came
        if (!this.usable(slot)) {
          if (!slot.busy) work.push(this.giveBack(state, slot).then(() => this.pump(key, state)));
          continue;
        }
        work.push(this.renew(key, state, slot));
      }
    }
    await Promise.all(work);
    if (!this.keys.size) this.stopRenewing();
  }

  private async renew(key: string, state: KeyState, slot: Slot): Promise<void> {
    let renewed: number | false;
    const pending = slot.lease.renew(this.leaseTtlMs);
    slot.renewal = pending;
    try {
      renewed = await pending;
    } catch {
      this.counters.errors += 1; // try again next time; if the expiry passes first, the slot is lost
      return;
    } finally {
      slot.renewal = undefined;
    }
    if (!state.slots.has(slot)) return; // given back meanwhile: nothing matched because it is gone
    if (renewed !== false) {
      this.counters.renewals += 1;
      slot.expiresAt = renewed;
      return;
    }
    this.markLost(slot, 'lostUnmatched');
    if (!slot.busy) {
      await this.giveBack(state, slot);
      this.pump(key, state);
    }
  }
}
