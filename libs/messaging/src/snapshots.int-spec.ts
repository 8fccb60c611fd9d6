import { randomUUID } from 'node:crypto';
import { deleteTopics, testKafka, testNamespace } from '../../../test/support/env';
import { AggregateStore } from './aggregate-store';
import { KafkaCommandGateway } from './command-gateway';
import { AggregateDefinition, CommandProcessor } from './command-processor';
import { aggregateTopics, ensureTopics, topicSpecs } from './topics';

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
});
