import { InMemoryConnectionLimiter, withLimit } from './connection-limiter';

const tick = () => new Promise((r) => setImmediate(r));

describe('InMemoryConnectionLimiter', () => {
  it('never lets more than N run at once per key, FIFO', async () => {
    const l = new InMemoryConnectionLimiter();
    let running = 0;
    let max = 0;
    const order: number[] = [];
    const work = (i: number) =>
      withLimit(l, 'profile:1', 3, 60_000, async () => {
        running++;
        max = Math.max(max, running);
        order.push(i);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return i;
      });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => work(i)));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(max).toBe(3);
    expect(order).toEqual(results);
    expect(l.highWater.get('profile:1')).toBe(3);
    expect(l.inUse('profile:1')).toBe(0);
  });

  it('keys are independent', async () => {
    const l = new InMemoryConnectionLimiter();
    const a = await l.acquire('a', 1, 60_000);
    const b = await l.acquire('b', 1, 60_000);
    expect([l.inUse('a'), l.inUse('b')]).toEqual([1, 1]);
    await a();
    await b();
  });

  it('releases on failure, and release is idempotent', async () => {
    const l = new InMemoryConnectionLimiter();
    await expect(withLimit(l, 'k', 1, 60_000, () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(l.inUse('k')).toBe(0);
    const r = await l.acquire('k', 2, 60_000);
    await r();
    await r();
    expect(l.inUse('k')).toBe(0);
    const r1 = await l.acquire('k', 2, 60_000);
    const r2 = await l.acquire('k', 2, 60_000);
    expect(l.inUse('k')).toBe(2);
    await r1();
    await r2();
  });

  it('a lease that is never released lapses after its TTL and the waiter gets the slot', async () => {
    jest.useFakeTimers();
    try {
      const l = new InMemoryConnectionLimiter();
      await l.acquire('k', 1, 1000); // "crashed" holder: never released
      let granted = false;
      const waiting = l.acquire('k', 1, 1000).then((r) => {
        granted = true;
        return r;
      });
      await Promise.resolve();
      expect(granted).toBe(false);
      jest.advanceTimersByTime(1001);
      const release = await waiting;
      expect(granted).toBe(true);
      await release();
    } finally {
      jest.useRealTimers();
    }
  });

  it('rejects a limit below 1', async () => {
    await expect(new InMemoryConnectionLimiter().acquire('k', 0, 1000)).rejects.toThrow(RangeError);
    await tick();
  });
});
