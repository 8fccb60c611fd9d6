import { AutodiscoverCache } from './autodiscover-cache';

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};
const tick = () => new Promise((r) => setImmediate(r));

describe('AutodiscoverCache', () => {
  it('single-flight per mailbox: concurrent resolves share one discovery', async () => {
    const cache = new AutodiscoverCache();
    const d = deferred<{ ewsUrl: string }>();
    const discover = jest.fn(() => d.promise);
    const all = Promise.all(Array.from({ length: 50 }, () => cache.resolve('Alice@Contoso.com', discover)));
    await tick();
    d.resolve({ ewsUrl: 'https://mail/EWS/Exchange.asmx' });
    const r = await all;
    expect(discover).toHaveBeenCalledTimes(1);
    expect(new Set(r.map((x) => x.ewsUrl))).toEqual(new Set(['https://mail/EWS/Exchange.asmx']));
    await cache.resolve('alice@contoso.com', discover);
    expect(discover).toHaveBeenCalledTimes(1);
  });

  it('TTL (default 24 h) and invalidate', async () => {
    let now = 0;
    const cache = new AutodiscoverCache({ now: () => now });
    let n = 0;
    const discover = jest.fn(() => Promise.resolve({ ewsUrl: `u${++n}` }));
    expect((await cache.resolve('a@x.com', discover)).ewsUrl).toBe('u1');
    now = 24 * 3600_000 - 1;
    expect((await cache.resolve('a@x.com', discover)).ewsUrl).toBe('u1');
    now = 24 * 3600_000;
    expect((await cache.resolve('a@x.com', discover)).ewsUrl).toBe('u2');
    cache.invalidate('A@X.com');
    expect(cache.peek('a@x.com')).toBeUndefined();
    expect((await cache.resolve('a@x.com', discover)).ewsUrl).toBe('u3');
    expect(cache.discoveries).toBe(3);
  });

  it('failures are not cached; the next resolve tries again', async () => {
    const cache = new AutodiscoverCache();
    const discover = jest
      .fn()
      .mockRejectedValueOnce(new Error('down'))
      .mockResolvedValueOnce({ ewsUrl: 'ok' });
    await expect(cache.resolve('a@x.com', discover)).rejects.toThrow('down');
    expect((await cache.resolve('a@x.com', discover)).ewsUrl).toBe('ok');
  });

  it('at most N discoveries in flight per domain; other domains are not held up', async () => {
    const cache = new AutodiscoverCache({ maxConcurrentPerDomain: 2 });
    let inFlight = 0;
    let max = 0;
    const pending: (() => void)[] = [];
    const discover = (email: string) =>
      new Promise<{ ewsUrl: string }>((resolve) => {
        inFlight++;
        max = Math.max(max, inFlight);
        pending.push(() => {
          inFlight--;
          resolve({ ewsUrl: email });
        });
      });
    const many = Array.from({ length: 20 }, (_, i) => cache.resolve(`u${i}@big.com`, discover));
    const other = cache.resolve('x@other.com', discover);
    await tick();
    expect(inFlight).toBe(3); // 2 for big.com + 1 for other.com
    while (pending.length) {
      pending.shift()?.();
      await tick();
    }
    await Promise.all([...many, other]);
    expect(max).toBe(3);
    expect(cache.discoveries).toBe(21);
  });

  it('scope "domain": one discovery serves every mailbox of the domain', async () => {
    const cache = new AutodiscoverCache({ scope: 'domain' });
    const discover = jest.fn(() => Promise.resolve({ ewsUrl: 'https://mail.contoso.com/EWS/Exchange.asmx' }));
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => cache.resolve(`user${i}@contoso.com`, discover)),
    );
    expect(discover).toHaveBeenCalledTimes(1);
    cache.invalidate('someone@contoso.com');
    await cache.resolve('user1@contoso.com', discover);
    expect(discover).toHaveBeenCalledTimes(2);
  });
});
