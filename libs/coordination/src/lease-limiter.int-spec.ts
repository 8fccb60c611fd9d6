import { MongoClient } from 'mongodb';
import { dropDatabase, testNamespace } from '@ssync/testing/env';
import { LeaseTimeoutError, MongoLeaseLimiter } from './lease-limiter';

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
