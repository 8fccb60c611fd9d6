import { randomUUID } from 'node:crypto';
import { deleteTopics, eventually, testKafka, testNamespace } from '../../../test/support/env';
import { AggregateStore } from './aggregate-store';
import { KafkaCommandGateway } from './command-gateway';
import { AggregateDefinition, CommandProcessor } from './command-processor';
import { SETTLED_KEY } from './settled';
import { aggregateTopics, ensureTopics, snapshotTopic, topicSpecs } from './topics';

type S = { count: number; notes: string[]; byNote: Map<string, number> };
type C = { type: 'Add'; commandId: string; actor: string; issuedAt: string; note: string };
type E = { type: 'Added'; data: { note: string } };
const counter = {
  initialState: (): S => ({ count: 0, notes: [], byNote: new Map() }),
  // A Map in the state, as a bulk job's results are: it must come back from a snapshot as a Map.
  evolve: (s: S, e: { type: string; data: unknown }): S => ({
    count: s.count + 1,
    notes: [...s.notes, (e.data as { note: string }).note],
    byNote: new Map([...s.byNote, [(e.data as { note: string }).note, s.count + 1]]),
  }),
};
const definition: AggregateDefinition<C, E, S> = {
  aggregateType: 'profile',
  ...counter,
  decide: (c) => [{ type: 'Added', data: { note: c.note } }],
  toFailure: () => null,
};

/** Snapshots (docs/adr/0011) against the real broker: restore, read only the events after the checkpoint. */
describe('aggregate snapshots', () => {
  const ns = testNamespace('snap');
  const kafka = testKafka(ns);
  const topic = aggregateTopics(ns.prefix, 'profile').events;
  const options = { topicPrefix: ns.prefix, orgId: 'org', instanceId: 'w1', snapshotEveryMs: 0 };
  let gateway: KafkaCommandGateway;

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, topicSpecs(ns.prefix, 4, 1));
    await admin.disconnect();
    gateway = new KafkaCommandGateway(kafka, { ...options, timeoutMs: 30000 });
    await gateway.start();
  });

  afterAll(async () => {
    await gateway?.stop();
    await deleteTopics(ns);
  });

  const add = (id: string, note: string, commandId: string = randomUUID()) =>
    gateway.sendCommand('profile', id, {
      type: 'Add',
      commandId,
      actor: 'test',
      issuedAt: new Date().toISOString(),
      note,
    });

  it('restores every aggregate from its snapshot, then reads only the events after the checkpoint', async () => {
    const store = new AggregateStore<S>(kafka, topic, `${ns.prefix}.s1`, counter);
    const processor = new CommandProcessor(kafka, store, definition, options);
    await store.start();
    await processor.start();
    const ids = Array.from({ length: 40 }, (_, i) => `agg-${i}`);
    const firstIds = new Map<string, string>();
    for (let round = 0; round < 5; round += 1)
      await Promise.all(
        ids.map(async (id) => {
          const commandId = randomUUID();
          if (round === 0) firstIds.set(id, commandId);
          expect((await add(id, `r${round}`, commandId)).accepted).toBe(true);
        }),
      );
    await processor.writeSnapshots();
    // Three more rounds after the checkpoint: a restoring reader must apply exactly these.
    for (let round = 5; round < 8; round += 1) await Promise.all(ids.map((id) => add(id, `r${round}`)));
    await processor.stop();
    await store.stop();

    let applied = 0;
    const restored = new AggregateStore<S>(kafka, topic, `${ns.prefix}.s2`, counter, () => (applied += 1));
    await restored.start();
    const deadline = Date.now() + 30000;
    while (!restored.caughtUpToStart() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(restored.caughtUpToStart()).toBe(true);
    expect(restored.restored().snapshots).toBe(ids.length);
    expect(applied).toBe(ids.length * 3);
    for (const id of ids) {
      expect(restored.get(id).version).toBe(8);
      expect(restored.get(id).state).toEqual(store.get(id).state);
      expect(restored.get(id).state.byNote.get('r7')).toBe(8);
    }
    await restored.stop();

    // The duplicate check survives the snapshot: the very first command of each aggregate is still known.
    const store3 = new AggregateStore<S>(kafka, topic, `${ns.prefix}.s3`, counter);
    const processor3 = new CommandProcessor(kafka, store3, definition, options);
    await store3.start();
    await processor3.start();
    const again = await add(ids[0]!, 'r0', firstIds.get(ids[0]!));
    expect(again).toMatchObject({ accepted: true, duplicate: true, version: 8 });
    await processor3.stop();
    await store3.stop();
  });

  it('a reader is caught up at once when nothing was written after the checkpoint', async () => {
    const store = new AggregateStore<S>(kafka, topic, `${ns.prefix}.s5`, counter);
    const processor = new CommandProcessor(kafka, store, definition, options);
    await store.start();
    await processor.start();
    await add('agg-quiet', 'only');
    await processor.stop(); // writes a last checkpoint
    await store.stop();
    const restored = new AggregateStore<S>(kafka, topic, `${ns.prefix}.s6`, counter);
    await restored.start();
    const deadline = Date.now() + 10000;
    while (!restored.caughtUpToStart() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(restored.caughtUpToStart()).toBe(true);
    expect(restored.get('agg-quiet').version).toBe(1);
    await restored.stop();
  });

  it('a follower catches up on demand with what its partition held when asked (a resumed bulk job)', async () => {
    const writer = new AggregateStore<S>(kafka, topic, `${ns.prefix}.s7`, counter);
    const processor = new CommandProcessor(kafka, writer, definition, options);
    const follower = new AggregateStore<S>(kafka, topic, `${ns.prefix}.s8`, counter);
    await writer.start();
    await processor.start();
    await follower.start();
    try {
      await add('agg-follow', 'f');
      await eventually(
        () => Promise.resolve(follower.get('agg-follow').version === 1),
        30_000,
        'the follower reads',
      );
      for (let round = 0; round < 3; round += 1) {
        const result = await add('agg-follow', `f${round}`);
        expect(result.accepted).toBe(true);
        await follower.catchUpNow(follower.partitionOf('agg-follow')!);
        expect(follower.get('agg-follow').version).toBe(result.version);
      }
    } finally {
      await processor.stop();
      await follower.stop();
      await writer.stop();
    }
  });

  it('a reader without the snapshot topic replays the whole log to the same state', async () => {
    const full = new AggregateStore<S>(kafka, topic, `${ns.prefix}.s4`, counter, undefined, {
      snapshotTopic: null,
    });
    await full.start();
    const deadline = Date.now() + 30000;
    while (!full.caughtUpToStart() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(full.get('agg-3').version).toBe(8);
    expect(full.get('agg-3').state.notes).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
    await full.stop();
  });

  /** Settled aggregates (docs/adr/0012): an entry each, in chunks; a whole snapshot gets a tombstone. */
  describe('settled aggregates', () => {
    const jobTopic = aggregateTopics(ns.prefix, 'job').events;
    // Settled at two events, decided then as `settledState` (its notes are not kept).
    const settledState = (): S => ({ count: 2, notes: ['settled'], byNote: new Map() });
    const settling = {
      ...counter,
      settled: { kindOf: (s: S) => (s.count === 2 ? 1 : null), state: settledState },
    };
    const jobDefinition: AggregateDefinition<C, E, S> = { ...definition, ...settling, aggregateType: 'job' };
    const storeOptions = { settledChunkEntries: 16 };
    const addJob = (id: string, note: string) =>
      gateway.sendCommand('job', id, {
        type: 'Add',
        commandId: randomUUID(),
        actor: 'test',
        issuedAt: new Date().toISOString(),
        note,
      });
    const caughtUp = async (store: AggregateStore<S>) => {
      const deadline = Date.now() + 30000;
      while (!store.caughtUpToStart() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(store.caughtUpToStart()).toBe(true);
    };
    const xs = Array.from({ length: 40 }, (_, i) => `x${i}`);
    const ws = Array.from({ length: 10 }, (_, i) => `w${i}`);
    const ys = Array.from({ length: 10 }, (_, i) => `y${i}`);

    it('restores settled aggregates from chunks and the rest from their snapshots; an owner rewrites them all', async () => {
      const store = new AggregateStore<S>(
        kafka,
        jobTopic,
        `${ns.prefix}.j1`,
        settling,
        undefined,
        storeOptions,
      );
      const processor = new CommandProcessor(kafka, store, jobDefinition, options);
      await store.start();
      await processor.start();
      await Promise.all(xs.map((id) => addJob(id, 'one')));
      await processor.writeSnapshots(); // 40 whole snapshots
      await Promise.all(xs.map((id) => addJob(id, 'two'))); // all settle
      await Promise.all(ws.map((id) => addJob(id, 'one')));
      // A caller's result can arrive a moment before the owner has applied its own commit to its store.
      await eventually(
        () => Promise.resolve(store.settledSize().aggregates === 40 && store.size() === 10),
        10000,
        'the owner applied its commits',
      );
      expect(store.settledSize().aggregates).toBe(40);
      expect(store.size()).toBe(10);
      await processor.writeSnapshots(); // tombstones, chunks, 10 whole snapshots
      await Promise.all(ys.flatMap((id) => [addJob(id, 'one')]));
      await Promise.all(ys.flatMap((id) => [addJob(id, 'two')])); // settle after the checkpoint
      await processor.writeSnapshots(); // chunks again, from the chunk written partly
      await processor.stop();
      await store.stop();

      let applied = 0;
      const restored = new AggregateStore<S>(
        kafka,
        jobTopic,
        `${ns.prefix}.j2`,
        settling,
        () => (applied += 1),
        storeOptions,
      );
      await restored.start();
      await caughtUp(restored);
      // Only the y's events can come after the last checkpoint (it names what the store had read by then).
      expect(applied).toBeLessThanOrEqual(ys.length * 2);
      expect(restored.settledSize().aggregates).toBe(50);
      expect(restored.size()).toBe(10);
      for (const id of [...xs, ...ys])
        expect(restored.get(id)).toMatchObject({ version: 2, state: settledState() });
      for (const id of ws) expect(restored.get(id)).toMatchObject({ version: 1, state: { notes: ['one'] } });
      await restored.stop();

      // A settled aggregate goes on from its version: its next event is its third.
      const store3 = new AggregateStore<S>(
        kafka,
        jobTopic,
        `${ns.prefix}.j3`,
        settling,
        undefined,
        storeOptions,
      );
      const processor3 = new CommandProcessor(kafka, store3, jobDefinition, options);
      await store3.start();
      await processor3.start();
      expect(await addJob('x0', 'three')).toMatchObject({ accepted: true, version: 3 });
      expect(store3.get('x0').state.notes).toEqual(['settled', 'three']);
      await processor3.writeSnapshots(); // the new owner writes every chunk again, in its own order
      await processor3.stop();
      await store3.stop();

      // What the topic holds: the 40 x's whole snapshots are tombstoned, and the chunks hold every settled id.
      // The latest record of each key, read with a fresh group (again, if a read came back before x0's record).
      const readLatest = async (): Promise<Map<string, Buffer | null>> => {
        const latest = new Map<string, Buffer | null>();
        const topic = snapshotTopic(ns.prefix, 'job');
        const consumer = kafka.consumer({ groupId: `${ns.prefix}.raw.${randomUUID()}` });
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        const admin = kafka.admin();
        await admin.connect();
        const ends = new Map(
          (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high) - 1n]),
        );
        await admin.disconnect();
        const reached = new Map<number, bigint>();
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
          reached.set(payload.partition, BigInt(payload.lastOffset)),
        );
        await consumer.run({
          eachMessage: ({ message }) => {
            latest.set(message.key?.toString() ?? '', message.value);
            return Promise.resolve();
          },
        });
        const done = () => [...ends].every(([p, last]) => last < 0n || (reached.get(p) ?? -1n) >= last);
        const deadline = Date.now() + 30000;
        while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        await consumer.disconnect();
        return latest;
      };
      const latest = await eventually(
        async () => {
          const read = await readLatest();
          return read.has('x0') ? read : null;
        },
        120_000,
        'the snapshot topic read to its end',
      );
      // An x whose partition the first checkpoint did not cover yet (its follower had read nothing there) never had
      // a whole record: nothing to tombstone. Every whole record of a settled x has one.
      for (const id of xs.slice(1)) if (latest.has(id)) expect(latest.get(id)).toBeNull();
      expect(xs.slice(1).filter((id) => latest.get(id) === null).length).toBeGreaterThan(0);
      expect(latest.get('x0')).not.toBeNull(); // unsettled again at version 3: whole
      expect([...latest.keys()].filter((k) => k.startsWith(SETTLED_KEY)).length).toBeGreaterThanOrEqual(4);

      const last = new AggregateStore<S>(
        kafka,
        jobTopic,
        `${ns.prefix}.j4`,
        settling,
        undefined,
        storeOptions,
      );
      await last.start();
      await caughtUp(last);
      expect(last.get('x0')).toMatchObject({ version: 3 });
      for (const id of [...xs.slice(1), ...ys]) expect(last.get(id)).toMatchObject({ version: 2 });
      expect(last.size()).toBe(11);
      await last.stop();
    });

    it('an owner keeps the entries of the partitions it owns and loads them when it gets one (docs/adr/0013)', async () => {
      const activityTopic = aggregateTopics(ns.prefix, 'activity').events;
      const activityDefinition: AggregateDefinition<C, E, S> = {
        ...definition,
        ...settling,
        aggregateType: 'activity',
      };
      const ownedOnly = { ...storeOptions, settledOwnedOnly: true };
      const addActivity = (id: string, note: string) =>
        gateway.sendCommand('activity', id, {
          type: 'Add',
          commandId: randomUUID(),
          actor: 'test',
          issuedAt: new Date().toISOString(),
          note,
        });
      const worker = (name: string) => {
        const store = new AggregateStore<S>(
          kafka,
          activityTopic,
          `${ns.prefix}.${name}`,
          settling,
          undefined,
          ownedOnly,
        );
        const processor = new CommandProcessor(kafka, store, activityDefinition, {
          ...options,
          instanceId: name,
        });
        return { store, processor };
      };
      const zs = Array.from({ length: 60 }, (_, i) => `z${i}`);
      const us = Array.from({ length: 10 }, (_, i) => `u${i}`);
      const vs = Array.from({ length: 8 }, (_, i) => `v${i}`);
      const a = worker('oa');
      await a.store.start();
      await a.processor.start();
      for (const note of ['one', 'two']) await Promise.all(zs.map((id) => addActivity(id, note)));
      await Promise.all(vs.map((id) => addActivity(id, 'one')));
      await a.processor.writeSnapshots(); // chunks of the z's, whole v's
      // Settled after the checkpoint: a new owner finds them in the events it reads after it, not in chunks.
      for (const note of ['one', 'two']) await Promise.all(us.map((id) => addActivity(id, note)));
      expect(a.store.ownedPartitions()).toEqual([0, 1, 2, 3]);
      // A result can reach the gateway a moment before the owner's store has applied its events.
      await eventually(
        () => Promise.resolve(a.store.settledSize().aggregates === 70),
        10000,
        'the owner settled all 70',
      );

      const b = worker('ob');
      await b.store.start();
      // It follows every partition, but keeps no entry of a partition it does not own.
      await caughtUp(b.store);
      expect(b.store.settledSize().aggregates).toBe(0);
      expect(b.store.size()).toBe(vs.length);
      await b.processor.start();
      const split = () =>
        a.processor.assignedPartitions().length > 0 &&
        b.processor.assignedPartitions().length > 0 &&
        a.processor.assignedPartitions().length + b.processor.assignedPartitions().length === 4;
      await eventually(() => Promise.resolve(split()), 60_000, 'the partitions split between two owners');
      await Promise.all(b.processor.assignedPartitions().map((p) => b.store.own(p)));
      expect(b.store.ownedPartitions()).toEqual(b.processor.assignedPartitions());
      expect(a.store.ownedPartitions()).toEqual(a.processor.assignedPartitions());
      const held = [a.store.settledSize().aggregates, b.store.settledSize().aggregates];
      expect(held[0]! + held[1]!).toBe(70);
      expect(held[0]).toBeGreaterThan(0);
      expect(held[1]).toBeGreaterThan(0);
      // Whoever owns one now decides on its entry: the next event of every settled aggregate is its third.
      const thirds = await Promise.all([...zs, ...us].map((id) => addActivity(id, 'three')));
      for (const r of thirds) expect(r).toMatchObject({ accepted: true, version: 3 });
      const seconds = await Promise.all(vs.map((id) => addActivity(id, 'two')));
      for (const r of seconds) expect(r).toMatchObject({ accepted: true, version: 2 });
      expect(a.store.problems().gaps + b.store.problems().gaps).toBe(0);
      await Promise.all([a.processor.stop(), b.processor.stop()]);
      await Promise.all([a.store.stop(), b.store.stop()]);
    });
  });
});
