import { InterruptionTracker, dependencyOf } from './interruptions';

const named = (name: string) => Object.assign(new Error('away'), { name });

describe('InterruptionTracker (issue #11: the alerts say what happened)', () => {
  it('names the dependency of a fault: the database by its driver errors, else the broker', () => {
    expect(dependencyOf(named('MongoServerSelectionError'))).toBe('mongodb');
    expect(dependencyOf(named('MongoNetworkError'))).toBe('mongodb');
    expect(dependencyOf(named('KafkaJSConnectionError'))).toBe('kafka');
    expect(dependencyOf(named('CommandTimeoutError'))).toBe('kafka');
    expect(dependencyOf(named('CommandBusUnavailableError'))).toBe('kafka');
  });

  it('opens a window at the first work put off, counts the work, and closes it at the next work done', () => {
    let now = Date.parse('2026-02-01T09:00:00.000Z');
    const t = new InterruptionTracker('sync-worker', 'w-1', () => now);
    t.resumed();
    expect(t.take()).toEqual([]);
    t.deferred(named('KafkaJSConnectionError'), 'polls');
    now += 5_000;
    t.deferred(named('CommandTimeoutError'), 'polls');
    t.deferred(named('CommandTimeoutError'), 'sends');
    t.deferred(named('MongoNetworkError'), 'tests');
    expect(t.take()).toEqual([]);
    expect(t.openWindows().map((w) => w.dependency)).toEqual(['kafka', 'mongodb']);
    now += 35_000;
    t.resumed();
    expect(t.openWindows()).toEqual([]);
    expect(t.take()).toEqual([
      {
        dependency: 'kafka',
        role: 'sync-worker',
        instanceId: 'w-1',
        from: '2026-02-01T09:00:00.000Z',
        to: '2026-02-01T09:00:40.000Z',
        deferred: { polls: 2, tests: 0, sends: 1 },
      },
      {
        dependency: 'mongodb',
        role: 'sync-worker',
        instanceId: 'w-1',
        from: '2026-02-01T09:00:05.000Z',
        to: '2026-02-01T09:00:40.000Z',
        deferred: { polls: 0, tests: 1, sends: 0 },
      },
    ]);
    expect(t.take()).toEqual([]);
  });

  it("closes the broker's window when a command comes back, while the database is still away", () => {
    let now = 0;
    const t = new InterruptionTracker('sync-worker', 'w-1', () => now);
    t.deferred(named('CommandTimeoutError'), 'polls');
    now = 1000;
    t.deferred(named('MongoNetworkError'), 'polls');
    now = 2000;
    t.answered('kafka');
    expect(t.take().map((w) => [w.dependency, w.to])).toEqual([['kafka', '1970-01-01T00:00:02.000Z']]);
    expect(t.openWindows().map((w) => w.dependency)).toEqual(['mongodb']);
  });

  it('gives back a window that could not be recorded yet', () => {
    let now = 0;
    const t = new InterruptionTracker('sync-worker', 'w-1', () => now);
    t.deferred(named('KafkaJSConnectionError'), 'sends');
    now = 1000;
    t.resumed();
    const [window] = t.take();
    t.retry(window!);
    expect(t.take()).toEqual([window]);
  });
});
