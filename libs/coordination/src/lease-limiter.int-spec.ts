import { MongoClient } from 'mongodb';
import { dropDatabase, testNamespace } from '@ssync/testing/env';
import { LeaseTimeoutError, MongoLeaseLimiter } from './lease-limiter';
import { PooledLeaseLimiter } from './pooled-lease-limiter';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MongoLeaseLimiter on the MongoDB-compatible server', () => {
  const ns = testNamespace('leases');
  // Two clients stand for two sync workers on different machines.
  let a: MongoClient;
  let b: MongoClient;

  beforeAll(async () => {
    a = await MongoClient.connect(ns.mongoUri);
    b = await MongoClient.connect(ns.mongoUri);
  });

  afterAll(async () => {
    await a.close();
    await b.close();
    await dropDatabase(ns);
  });

  it('never lets more than the limit hold a slot at once across workers, and uses all of it', async () => {
    const workers = [
      new MongoLeaseLimiter(a.db(), { owner: 'worker-a' }),
      new MongoLeaseLimiter(b.db(), { owner: 'worker-b' }),
    ];
    let current = 0;
    let highWater = 0;
    const tasks = Array.from({ length: 40 }, async (_, i) => {
      const release = await workers[i % 2]!.acquire('profile:p1', 3, 30000);
      current += 1;
      highWater = Math.max(highWater, current);
      await new Promise((r) => setTimeout(r, 20));
      current -= 1;
      await release();
    });
    await Promise.all(tasks);
    expect(highWater).toBe(3);
    expect(await workers[0]!.inUse('profile:p1')).toBe(0);
  });

  it('takes several slots in one ask, and two workers asking at once never hold more than the limit', async () => {
    const workers = [
      new MongoLeaseLimiter(a.db(), { owner: 'worker-a' }),
      new MongoLeaseLimiter(b.db(), { owner: 'worker-b' }),
    ];
    const [x, y] = await Promise.all(workers.map((w) => w.tryLeases('profile:p3', 5, 30000, 4)));
    const ids = [...x!, ...y!].map((l) => l.id);
    expect(ids.length).toBe(5);
    expect(new Set(ids).size).toBe(5);
    expect(await workers[0]!.inUse('profile:p3')).toBe(5);
    expect(await workers[1]!.tryLeases('profile:p3', 5, 30000, 4)).toEqual([]);
    await Promise.all([...x!, ...y!].map((l) => l.release()));
    expect(await workers[0]!.inUse('profile:p3')).toBe(0);
  });

  it("reclaims a crashed holder's slot once its lease lapses", async () => {
    const limiter = new MongoLeaseLimiter(a.db(), { maxWaitMs: 100 });
    const crashed = await limiter.tryAcquire('mailbox:m1', 1, 400);
    expect(crashed).not.toBeNull();
    expect(await limiter.tryAcquire('mailbox:m1', 1, 400)).toBeNull();
    await expect(limiter.acquire('mailbox:m1', 1, 400)).rejects.toBeInstanceOf(LeaseTimeoutError);
    await new Promise((r) => setTimeout(r, 450));
    const next = await new MongoLeaseLimiter(b.db()).tryAcquire('mailbox:m1', 1, 400);
    expect(next).not.toBeNull();
    await next!();
  });

  it('release is idempotent and only frees its own lease', async () => {
    const limiter = new MongoLeaseLimiter(a.db());
    const first = (await limiter.tryAcquire('mailbox:m2', 1, 200))!;
    await new Promise((r) => setTimeout(r, 250));
    const second = (await limiter.tryAcquire('mailbox:m2', 1, 30000))!;
    expect(second).not.toBeNull();
    await first(); // the lapsed holder's late release must not free the new holder's slot
    expect(await limiter.tryAcquire('mailbox:m2', 1, 30000)).toBeNull();
    await second();
    await second();
    expect(await limiter.inUse('mailbox:m2')).toBe(0);
  });

  it('a lowered limit applies to new acquisitions at once', async () => {
    const limiter = new MongoLeaseLimiter(a.db());
    const held = await Promise.all([1, 2, 3].map(() => limiter.tryAcquire('profile:p2', 3, 30000)));
    expect(held.every(Boolean)).toBe(true);
    // With the limit lowered to 2 while 3 leases are out, nothing more is granted until fewer than 2 remain.
    await held[0]!();
    expect(await limiter.tryAcquire('profile:p2', 2, 30000)).toBeNull();
    await held[1]!();
    await held[2]!();
    const again = await limiter.tryAcquire('profile:p2', 2, 30000);
    expect(again).not.toBeNull();
    await again!();
  });

  it('refuses a limit that is not a positive integer', async () => {
    const limiter = new MongoLeaseLimiter(a.db());
    await expect(limiter.tryAcquire('k', 0, 1000)).rejects.toBeInstanceOf(RangeError);
  });
});

describe('PooledLeaseLimiter on the MongoDB-compatible server', () => {
  const ns = testNamespace('pooled');
  // One client per pooled limiter: three sync workers on different machines.
  const clients: MongoClient[] = [];
  const pools: PooledLeaseLimiter[] = [];
  const worker = async (
    name: string,
    options: ConstructorParameters<typeof PooledLeaseLimiter>[1] = {},
  ): Promise<{ mongo: MongoLeaseLimiter; pool: PooledLeaseLimiter }> => {
    const client = await MongoClient.connect(ns.mongoUri);
    clients.push(client);
    const mongo = new MongoLeaseLimiter(client.db(), { owner: name });
    await mongo.ensureIndexes();
    const pool = new PooledLeaseLimiter(mongo, { maxWaitMs: 120_000, ...options });
    pools.push(pool);
    return { mongo, pool };
  };

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
    await Promise.all(clients.map((c) => c.close()));
    await dropDatabase(ns);
  });

  it('three workers with many concurrent requests: never more than the limit at once, all complete', async () => {
    // A short maxHoldMs and idleReleaseMs make slots move between the workers all the time.
    const workers = await Promise.all(
      ['w1', 'w2', 'w3'].map((n) => worker(n, { maxHoldMs: 100, idleReleaseMs: 20, contentionCheckMs: 20 })),
    );
    const limit = 3;
    let current = 0;
    let highWater = 0;
    let done = 0;
    const perWorker = [0, 0, 0];
    await Promise.all(
      Array.from({ length: 150 }, async (_, i) => {
        const w = i % 3;
        const release = await workers[w]!.pool.acquire('profile:p1', limit, 60_000);
        current += 1;
        highWater = Math.max(highWater, current);
        await sleep(5 + (i % 4) * 5);
        current -= 1;
        await release();
        perWorker[w]! += 1;
        done += 1;
      }),
    );
    expect(done).toBe(150);
    expect(perWorker).toEqual([50, 50, 50]);
    expect(highWater).toBeLessThanOrEqual(limit);
    expect(highWater).toBeGreaterThan(0);
    // Slots did move: every worker took some from MongoDB, and some went back because held too long.
    for (const { pool } of workers) expect(pool.stats().mongoAcquires).toBeGreaterThan(0);
    expect(workers.reduce((n, { pool }) => n + pool.stats().maxHoldReturns, 0)).toBeGreaterThan(0);
    await Promise.all(workers.map(({ pool }) => pool.close()));
    expect(await workers[0]!.mongo.inUse('profile:p1')).toBe(0);
  });

  it('reuses its slots: far fewer MongoDB round trips than requests', async () => {
    const { mongo, pool } = await worker('w-reuse');
    const requests = 300;
    for (let i = 0; i < requests; i += 1) await (await pool.acquire('profile:p2', 3, 60_000))();
    // And a concurrent burst, as a busy worker polling many mailboxes of one profile sees.
    await Promise.all(
      Array.from({ length: requests }, async () => {
        const release = await pool.acquire('profile:p2', 3, 60_000);
        await sleep(1);
        await release();
      }),
    );
    const stats = pool.stats();
    const roundTrips = mongo.ops.finds + mongo.ops.inserts + mongo.ops.deletes + mongo.ops.reclaims;
    process.stdout.write(
      `pooled: ${2 * requests} requests, ${stats.mongoAcquires} MongoDB acquires, ${stats.localReuses} local ` +
        `reuses, ${roundTrips} round trips besides ${mongo.ops.renewals} renewals (unpooled: ${6 * requests})\n`,
    );
    expect(stats.mongoAcquires + stats.localReuses).toBe(2 * requests);
    // Slots go back only when held longer than maxHoldMs or idle: a handful, whatever the speed of the machine,
    // unless a single request took more than maxHoldMs.
    expect(stats.mongoAcquires).toBeLessThan(requests / 10);
    expect(roundTrips).toBeLessThan(requests / 2);
  });

  it('keeps its slots while nobody else waits; gives them up once another worker says it waits', async () => {
    const holder = await worker('w-keep', { idleReleaseMs: 50, contentionCheckMs: 50 });
    const key = 'profile:p5';
    await Promise.all([1, 2].map(() => holder.pool.acquire(key, 2, 60_000))).then((rs) =>
      Promise.all(rs.map((r) => r())),
    );
    await sleep(500);
    // Ten idle periods later both are still held: no find, insert and delete per idle second.
    expect(await holder.mongo.inUse(key)).toBe(2);
    expect(holder.pool.stats()).toMatchObject({ idleReturns: 0, mongoReleases: 0 });
    const waiter = await worker('w-wait', { contentionCheckMs: 50 });
    const started = Date.now();
    const release = await waiter.pool.acquire(key, 2, 60_000);
    process.stdout.write(`a waiting worker got a slot of a full key after ${Date.now() - started} ms\n`);
    expect(holder.pool.stats().idleReturns).toBeGreaterThan(0);
    expect(waiter.pool.stats().wants).toBeGreaterThan(0);
    await release();
    // Its note is taken back once served: the holder stops giving slots up.
    for (let i = 0; i < 100 && holder.pool.holding(key).contended; i += 1) await sleep(50);
    expect(holder.pool.holding(key).contended).toBe(false);
  });

  it("a dead worker's slots lapse within the lease TTL; a live worker's are renewed past it", async () => {
    const ttl = { leaseTtlMs: 2000, renewEveryMs: 400 };
    const alive = await worker('w-alive', ttl);
    const dead = await worker('w-dead', ttl);
    const other = await worker('w-other', { ...ttl, maxWaitMs: 30_000 });
    const releaseAlive = await alive.pool.acquire('profile:p3', 2, 60_000);
    await dead.pool.acquire('profile:p3', 2, 60_000);
    // Renewed past its TTL: the live holder keeps its slot.
    for (let i = 0; i < 200 && alive.pool.stats().renewals < 8; i += 1) await sleep(100);
    expect(alive.pool.stats()).toMatchObject({ lost: 0 });
    expect(alive.pool.stats().renewals).toBeGreaterThanOrEqual(8);
    // SIGKILL: no renewals, no release.
    dead.pool.abandon();
    const started = Date.now();
    const release = await other.pool.acquire('profile:p3', 2, 60_000);
    const waited = Date.now() - started;
    process.stdout.write(`dead worker's slot taken over after ${waited} ms (lease TTL 2000 ms)\n`);
    // The live holder's slot was never reclaimed: it is still held, and no third slot was given out.
    expect(alive.pool.stats().lost).toBe(0);
    expect(await other.mongo.inUse('profile:p3')).toBe(2);
    await release();
    await releaseAlive();
  });

  it('a lowered limit: nothing new above it, the excess goes back to MongoDB at release', async () => {
    const a = await worker('w-low-a');
    const b = await worker('w-low-b');
    const held = await Promise.all([1, 2, 3].map(() => a.pool.acquire('profile:p4', 3, 60_000)));
    expect(await a.mongo.inUse('profile:p4')).toBe(3);
    let current = 0;
    let highWater = 0;
    const lowered = Array.from({ length: 20 }, async (_, i) => {
      const release = await [a, b][i % 2]!.pool.acquire('profile:p4', 1, 60_000);
      current += 1;
      highWater = Math.max(highWater, current);
      await sleep(5);
      current -= 1;
      await release();
    });
    await held[0]!();
    await held[1]!();
    // Two of three went back to MongoDB; the remaining request still runs, so no limit-1 request has started.
    expect(await a.mongo.inUse('profile:p4')).toBe(1);
    expect(highWater).toBe(0);
    await held[2]!();
    await Promise.all(lowered);
    expect(highWater).toBe(1);
    expect(a.pool.holding('profile:p4').held + b.pool.holding('profile:p4').held).toBeLessThanOrEqual(1);
  });
});
