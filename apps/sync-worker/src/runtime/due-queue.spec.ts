import { DueQueue } from './due-queue';

const drain = (q: DueQueue, now: number): string[] => {
  const out: string[] = [];
  for (let id = q.pop(now); id !== null; id = q.pop(now)) out.push(id);
  return out;
};

describe('DueQueue', () => {
  it('gives back what is due, earliest first, and nothing before its time', () => {
    const q = new DueQueue();
    q.schedule('c', 300);
    q.schedule('a', 100);
    q.schedule('b', 200);
    expect(q.peek()).toBe(100);
    expect(q.pop(50)).toBeNull();
    expect(drain(q, 250)).toEqual(['a', 'b']);
    expect(q.size).toBe(1);
    expect(drain(q, 1000)).toEqual(['c']);
    expect(q.peek()).toBeNull();
  });

  it('keeps one entry per id, at its earliest time: a later time is a no-op, an earlier one wins', () => {
    const q = new DueQueue();
    q.schedule('a', 500);
    q.schedule('a', 900);
    expect(q.peek()).toBe(500);
    q.schedule('a', 100);
    expect(q.size).toBe(1);
    expect(drain(q, 1000)).toEqual(['a']);
    expect(q.pop(10_000)).toBeNull(); // the superseded entries are gone with it
  });

  it('an id given back can be scheduled again', () => {
    const q = new DueQueue();
    q.schedule('a', 100);
    expect(q.pop(100)).toBe('a');
    q.schedule('a', 100);
    expect(q.pop(100)).toBe('a');
    expect(q.pop(100)).toBeNull();
  });

  it('orders thousands of random times like a sort would', () => {
    const q = new DueQueue();
    const times = new Map<string, number>();
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 5000; i++) {
      const id = `m${i % 3000}`;
      const at = Math.floor(random() * 100_000);
      q.schedule(id, at);
      times.set(id, Math.min(times.get(id) ?? Infinity, at));
    }
    const expected = [...times].sort((x, y) => x[1] - y[1] || 0).map(([, at]) => at);
    const got: number[] = [];
    for (let id = q.pop(Infinity); id !== null; id = q.pop(Infinity)) got.push(times.get(id)!);
    expect(got).toEqual(expected);
    expect(q.size).toBe(0);
  });
});
