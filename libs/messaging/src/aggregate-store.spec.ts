import { Kafka } from 'kafkajs';
import { AggregateStore } from './aggregate-store';
import { EventEnvelope } from './envelope';

type Counter = { n: number; seen: string[] };
const evolve = {
  initialState: (): Counter => ({ n: 0, seen: [] }),
  evolve: (s: Counter, e: { type: string; data: unknown }) => ({ n: s.n + 1, seen: [...s.seen, e.type] }),
};
const envelope = (sequence: number, causationId = `c${sequence}`): EventEnvelope => ({
  eventId: `e${sequence}`,
  type: `T${sequence}`,
  schemaVersion: 1,
  aggregateType: 'profile',
  aggregateId: 'a1',
  sequence,
  occurredAt: '2026-01-01T00:00:00.000Z',
  orgId: 'o',
  actor: 'x',
  correlationId: causationId,
  causationId,
  payload: {},
});

describe('AggregateStore.apply', () => {
  const store = () => new AggregateStore<Counter>({} as Kafka, 'topic', 'group', evolve);

  it('applies events in sequence and records the commands that caused them', () => {
    const s = store();
    s.apply(envelope(1), 3);
    s.apply(envelope(2));
    expect(s.get('a1')).toMatchObject({
      version: 2,
      state: { n: 2, seen: ['T1', 'T2'] },
      recentCommandIds: ['c1', 'c2'],
    });
    expect(s.partitionOf('a1')).toBe(3);
  });

  it('ignores an event it has applied already: the owner and the follower may both feed it (twice)', () => {
    const s = store();
    s.apply(envelope(1));
    s.apply(envelope(1));
    s.apply(envelope(2));
    s.apply(envelope(2));
    expect(s.get('a1').version).toBe(2);
    expect(s.get('a1').state.n).toBe(2);
  });

  it('refuses to skip a sequence number', () => {
    const s = store();
    s.apply(envelope(1));
    s.apply(envelope(3));
    expect(s.get('a1').version).toBe(1);
  });

  it('an unknown aggregate is at version 0 in its initial state', () => {
    expect(store().get('nope')).toEqual({ state: { n: 0, seen: [] }, version: 0, recentCommandIds: [] });
  });

  it('waitUntilCaughtUp resolves at once for an empty partition', async () => {
    await expect(store().waitUntilCaughtUp(0, 5n, 5n)).resolves.toBeUndefined();
  });
});
