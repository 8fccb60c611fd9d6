import { LingerQueue } from './linger-queue';

describe('LingerQueue: what waits for a partition transaction', () => {
  let now = 0;
  let flushes: string[][];
  let queue: LingerQueue<string>;

  beforeEach(() => {
    jest.useFakeTimers();
    now = 0;
    flushes = [];
    queue = new LingerQueue(
      () => flushes.push(queue.take()),
      () => now,
    );
  });
  afterEach(() => jest.useRealTimers());

  const advance = (ms: number) => {
    now += ms;
    jest.advanceTimersByTime(ms);
  };

  it('commits once the first item has waited its time, with everything that came meanwhile', () => {
    queue.add('claim 1', 100);
    advance(60);
    queue.add('claim 2', 100);
    advance(39);
    expect(flushes).toEqual([]);
    advance(1);
    expect(flushes).toEqual([['claim 1', 'claim 2']]);
  });

  it('lets an item that may wait long ride in the transaction a more pressing one opens', () => {
    queue.add('outcome', 250);
    advance(50);
    queue.add('claim', 100);
    advance(100);
    expect(flushes).toEqual([['outcome', 'claim']]);
    advance(500);
    expect(flushes).toHaveLength(1);
  });

  it('commits an item alone when nothing more pressing comes within its wait', () => {
    queue.add('outcome', 250);
    advance(249);
    expect(flushes).toEqual([]);
    advance(1);
    expect(flushes).toEqual([['outcome']]);
  });

  it('commits at once an item that may not wait', () => {
    queue.add('result', 0);
    expect(flushes).toEqual([['result']]);
  });

  it('starts a new wait after a transaction took what was waiting', () => {
    queue.add('claim 1', 100);
    advance(100);
    queue.add('claim 2', 100);
    advance(99);
    expect(flushes).toEqual([['claim 1']]);
    advance(1);
    expect(flushes).toEqual([['claim 1'], ['claim 2']]);
  });
});
