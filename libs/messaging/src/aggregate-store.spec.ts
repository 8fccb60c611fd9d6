import { Kafka } from 'kafkajs';
import { AggregateStore } from './aggregate-store';
import { commandDigest } from './command-ledger';
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
      commands: commandDigest('c1') + commandDigest('c2'),
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
    expect(store().get('nope')).toMatchObject({
      state: { n: 0, seen: [] },
      version: 0,
      commands: '',
    });
  });

  it('waitUntilCaughtUp resolves at once for an empty partition', async () => {
    await expect(store().waitUntilCaughtUp(0, 5n, 5n)).resolves.toBeUndefined();
  });
});

describe('AggregateStore with an operational slice', () => {
  type S = { n: number; cursor: string };
  const fn = {
    initialState: (): S => ({ n: 0, cursor: '' }),
    evolve: (s: S, e: { type: string; data: unknown }): S =>
      e.type === 'Synced' ? { ...s, cursor: String(e.data) } : { ...s, n: s.n + 1 },
    operational: {
      slice: (s: S) => (s.n === 0 && s.cursor === '' ? null : s.cursor),
      withSlice: (s: S, cursor: unknown): S => ({ ...s, cursor: String(cursor) }),
      touchesSlice: (type: string) => type === 'Synced',
      isOperational: () => false,
    },
  };
  const event = (sequence: number, type: string, data: unknown = {}): EventEnvelope => ({
    ...envelope(sequence),
    type,
    payload: data,
  });
  const record = (version: number, cursor: string): EventEnvelope => ({
    ...envelope(version),
    type: 'OperationalState',
    payload: cursor,
  });
  const store = () =>
    new AggregateStore<S>({} as Kafka, 'topic', 'group', fn, undefined, { operationalTopic: 'op' });

  it('takes the slice from the latest operational record, without a new version', () => {
    const s = store();
    s.apply(event(1, 'Created'));
    s.applyOperational(record(1, 'c1'));
    s.applyOperational(record(1, 'c2'));
    expect(s.get('a1')).toMatchObject({ version: 1, state: { n: 1, cursor: 'c2' }, opVersion: 1 });
  });

  it('orders records of one version by offset: what the owner committed is not undone when it reads it back', () => {
    const s = store();
    s.apply(event(1, 'Created'));
    // The owner applies its commits at once (claim at 10, outcome at 11), then its reader reaches them.
    s.applyOperational(record(1, 'claimed'), 0, 10n);
    s.applyOperational(record(1, 'synced'), 0, 11n);
    s.applyOperational(record(1, 'claimed'), 0, 10n);
    expect(s.get('a1').state.cursor).toBe('synced');
    s.applyOperational(record(1, 'synced'), 0, 11n);
    s.applyOperational(record(1, 'next claim'), 0, 12n);
    expect(s.get('a1').state.cursor).toBe('next claim');
  });

  it('keeps a newer record over an older audited event that touched the slice, read after it', () => {
    const s = store();
    s.apply(event(1, 'Created'));
    s.applyOperational(record(2, 'newer'));
    // The record waits for the events it was written after.
    expect(s.get('a1').state.cursor).toBe('');
    s.apply(event(2, 'Synced', 'older'));
    expect(s.get('a1').state.cursor).toBe('newer');
    s.apply(event(3, 'Synced', 'latest'));
    expect(s.get('a1').state.cursor).toBe('latest');
  });

  it('ignores a record older than an audited event that moved the slice', () => {
    const s = store();
    s.apply(event(1, 'Created'));
    s.apply(event(2, 'Synced', 'audited'));
    s.applyOperational(record(1, 'stale'));
    expect(s.get('a1').state.cursor).toBe('audited');
    s.applyOperational(record(2, 'same-transaction'));
    expect(s.get('a1').state.cursor).toBe('same-transaction');
  });

  it('keeps only what `retain` keeps', () => {
    const s = new AggregateStore<Counter>({} as Kafka, 'topic', 'group', {
      ...evolve,
      retain: (c) => ({ n: c.n, seen: c.seen.slice(-1) }),
    });
    s.apply(envelope(1));
    s.apply(envelope(2));
    expect(s.get('a1').state).toEqual({ n: 2, seen: ['T2'] });
  });

  it('reports a gap with its coordinates instead of only logging it', () => {
    const s = store();
    s.apply(event(1, 'Created'), 4, '17');
    s.apply(event(3, 'Created'), 4, '18');
    expect(s.problems()).toMatchObject({
      gaps: 1,
      undecodable: 0,
      recent: [{ kind: 'gap', topic: 'topic', partition: 4, offset: '18', aggregateId: 'a1' }],
    });
  });
});

describe('AggregateStore with settled aggregates (docs/adr/0012)', () => {
  // Settled once it has seen two events: kept as an entry, decided as `{ n: 2, seen: ['settled'] }`.
  const settling = {
    ...evolve,
    settled: {
      kindOf: (s: Counter) => (s.n === 2 ? 0 : null),
      state: (): Counter => ({ n: 2, seen: ['settled'] }),
    },
  };
  const store = () => new AggregateStore<Counter>({} as Kafka, 'topic', 'group', settling);
  const of = (id: string, sequence: number): EventEnvelope => ({ ...envelope(sequence), aggregateId: id });

  it('keeps a settled aggregate as an entry: its version and its settled state, not what it held', () => {
    const s = store();
    const told: number[] = [];
    s.subscribe((_e, snap) => told.push(snap.version));
    s.apply(of('a1', 1), 0);
    expect(s.size()).toBe(1);
    s.apply(of('a1', 2), 0);
    expect(told).toEqual([1, 2]);
    expect(s.size()).toBe(0);
    expect([...s.entries()]).toEqual([]);
    expect(s.settledSize().aggregates).toBe(1);
    expect(s.get('a1')).toMatchObject({ version: 2, state: { n: 2, seen: ['settled'] }, commands: '' });
    expect(s.get('a2')).toMatchObject({ version: 0, state: { n: 0 } });
  });

  it('ignores the events a settled aggregate has, and applies the next one on its settled state', () => {
    const s = store();
    s.apply(of('a1', 1), 0);
    s.apply(of('a1', 2), 0);
    s.apply(of('a1', 1), 0);
    s.apply(of('a1', 2), 0);
    expect(s.get('a1').version).toBe(2);
    s.apply(of('a1', 3), 0);
    expect(s.get('a1')).toMatchObject({ version: 3, state: { n: 3, seen: ['settled', 'T3'] } });
    expect(s.size()).toBe(1);
  });

  it('without a partition to file it under, an aggregate stays whole', () => {
    const s = store();
    s.apply(of('a1', 1));
    s.apply(of('a1', 2));
    expect(s.size()).toBe(1);
    expect(s.settledSize().aggregates).toBe(0);
  });

  it('settles with time: a whole aggregate settled by `now` becomes an entry at the next sweep', () => {
    const later = Date.now() + 3_600_000;
    const byTime = {
      ...evolve,
      settled: {
        kindOf: (s: Counter, now: number) => (s.n === 1 && now >= later ? 3 : null),
        state: (kind: number): Counter => ({ n: 1, seen: [`kind ${kind}`] }),
      },
    };
    const s = new AggregateStore<Counter>({} as Kafka, 'topic', 'group', byTime);
    s.apply(of('a1', 1), 0);
    s.apply(of('a2', 1), 0);
    expect(s.size()).toBe(2);
    expect(s.settleDue(later - 1)).toBe(0);
    expect(s.settleDue(later)).toBe(2);
    expect(s.size()).toBe(0);
    expect(s.get('a2')).toMatchObject({ version: 1, state: { seen: ['kind 3'] } });
  });
});

describe('AggregateStore keeping settled entries of owned partitions only (docs/adr/0013)', () => {
  const settling = {
    ...evolve,
    settled: {
      kindOf: (s: Counter) => (s.n === 2 ? 0 : null),
      state: (): Counter => ({ n: 2, seen: ['settled'] }),
    },
  };
  const store = () =>
    new AggregateStore<Counter>({} as Kafka, 'topic', 'group', settling, undefined, {
      settledOwnedOnly: true,
    });
  const of = (id: string, sequence: number): EventEnvelope => ({ ...envelope(sequence), aggregateId: id });

  it('forgets an aggregate that settles in a partition it does not own: no entry, no state, no gap', () => {
    const s = store();
    s.trackChanges();
    s.apply(of('a1', 1), 3);
    expect(s.size()).toBe(1);
    s.apply(of('a1', 2), 3);
    expect(s.size()).toBe(0);
    expect(s.settledSize()).toEqual({ aggregates: 0, bytes: 0 });
    expect(s.partitionOf('a1')).toBeUndefined();
    // Its owner keeps it; a later event here is not a gap, and is not kept either.
    s.apply(of('a1', 3), 3);
    expect(s.size()).toBe(0);
    expect(s.partitionOf('a1')).toBeUndefined();
    expect(s.problems().gaps).toBe(0);
    expect(s.takeSnapshots(3)).toBeNull();
  });

  it('keeps no tombstone of a whole snapshot it did not write: the next owner tombstones it when it loads', () => {
    const s = store();
    s.trackChanges();
    s.apply(of('a1', 1), 3);
    // As if a whole snapshot of a1 had been written: an owner would tombstone it when a1 settles.
    (s as unknown as { individual: Set<string> }).individual.add('a1');
    s.apply(of('a1', 2), 3);
    expect((s as unknown as { tombstones: Map<number, Set<string>> }).tombstones.get(3)?.size ?? 0).toBe(0);
  });

  it('still reports a gap of an aggregate it holds whole', () => {
    const s = store();
    s.apply(of('a1', 1), 3);
    s.apply(of('a1', 3), 3);
    expect(s.problems().gaps).toBe(1);
  });

  it('keeps the unsettled aggregates of every partition whole (a sender needs the pending ones)', () => {
    const s = store();
    s.apply(of('a1', 1), 0);
    s.apply(of('a2', 1), 5);
    expect(s.size()).toBe(2);
    expect(s.get('a2')).toMatchObject({ version: 1, state: { n: 1 } });
    expect(s.ownedPartitions()).toEqual([]);
  });

  it('without the option owning is nothing to load, and every partition keeps its entries', async () => {
    const s = new AggregateStore<Counter>({} as Kafka, 'topic', 'group', settling);
    await s.own(1);
    s.apply(of('a1', 1), 3);
    s.apply(of('a1', 2), 3);
    expect(s.settledSize().aggregates).toBe(1);
    expect(s.ownedPartitions()).toEqual([]);
  });
});
