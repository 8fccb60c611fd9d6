import { randomUUID } from 'node:crypto';
import {
  eventually,
  readAllTopicBytes,
  suiteTopics,
  testKafka,
  testNamespace,
} from '../../../test/support/env';
import {
  AddCommand,
  CounterState,
  counter,
  counterDefinition,
} from '../../../test/support/counter-aggregate';
import { AggregateStore } from './aggregate-store';
import { KafkaCommandGateway } from './command-gateway';
import { CommandProcessor } from './command-processor';
import { CommandEnvelope, CommandResult } from './envelope';
import { aggregateTopics, resultsTopic } from './topics';

type S = CounterState;
const definition = counterDefinition('profile');

/**
 * A process that writes an aggregate's partition decides that aggregate's commands itself (docs/adr/0014): the
 * same decision and transaction, without the commands and results topics; any other process, or this one once
 * the partition moved, sends them through the topic to the writer.
 */
describe('commands decided by the partition writer itself (CommandProcessor.decideHere)', () => {
  const ns = testNamespace('here');
  const kafka = testKafka(ns);
  const options = { topicPrefix: ns.prefix, orgId: 'org', instanceId: 'w1', snapshotEveryMs: 0 };
  const parts = suiteTopics(ns, kafka, 2);

  async function member(instanceId: string) {
    const store = new AggregateStore<S>(
      kafka,
      aggregateTopics(ns.prefix, 'profile').events,
      `${ns.prefix}.${instanceId}`,
      counter,
    );
    const processor = new CommandProcessor(kafka, store, definition, { ...options, instanceId });
    const gateway = new KafkaCommandGateway(kafka, { ...options, instanceId, timeoutMs: 30000 });
    const here: string[] = [];
    gateway.decideHereWith('profile', async (envelope) => {
      const partition = store.partitionOf(envelope.aggregateId);
      const result =
        partition === undefined
          ? null
          : await processor.decideHere(partition, envelope as CommandEnvelope<AddCommand>);
      if (result) here.push(envelope.commandId);
      return result;
    });
    await store.start();
    await processor.start();
    await gateway.start();
    parts.push(store, processor, gateway);
    const add = (id: string, note: string, commandId: string = randomUUID()): Promise<CommandResult<S>> =>
      gateway.sendCommand('profile', id, {
        type: 'Add',
        commandId,
        actor: 'test',
        issuedAt: new Date().toISOString(),
        note,
      });
    return { store, processor, gateway, here, add };
  }

  it('decides here once it writes the partition: events in the log, no results on the topic, duplicates known', async () => {
    const w1 = await member('w1');
    const ids = Array.from({ length: 8 }, (_, i) => `agg-${i}`);
    // The first command of each goes through the topic: nothing tells this process its partition yet.
    for (const id of ids) expect((await w1.add(id, 'first')).accepted).toBe(true);
    expect(w1.here).toEqual([]);
    // Twenty at once per aggregate: decided here, in order, sharing transactions.
    const results = await Promise.all(
      ids.flatMap((id) => Array.from({ length: 20 }, (_, n) => w1.add(id, `n${n}`))),
    );
    expect(results.every((r) => r.accepted && !r.duplicate)).toBe(true);
    expect(w1.here).toHaveLength(ids.length * 20);
    for (const id of ids) {
      const versions = results.filter((r) => r.aggregateId === id).map((r) => r.version);
      expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, n) => n + 2));
      expect(w1.store.get(id).version).toBe(21);
    }
    // The same command again is a duplicate, decided here too.
    const first = results.find((r) => r.aggregateId === ids[0])!;
    const again = await w1.add(ids[0]!, 'n0', first.commandId);
    expect(again).toMatchObject({ accepted: true, duplicate: true });
    // A reader of the log sees every event; the results topic has only the commands that went through the topic.
    const records = await readAllTopicBytes(ns, { committedOnly: true });
    const events = records.filter((r) => r.topic === aggregateTopics(ns.prefix, 'profile').events);
    expect(events).toHaveLength(ids.length * 21);
    const results$ = records.filter((r) => r.topic === resultsTopic(ns.prefix));
    expect(results$).toHaveLength(ids.length);
  });

  it('once its partition moved, the command goes through the topic to the new writer', async () => {
    const w2 = await member('w2');
    // Two members of the group over two partitions: each writes one (w1 of the first test still runs).
    await eventually(
      () => Promise.resolve(w2.processor.assignedPartitions().length === 1),
      60000,
      'the group rebalanced',
    );
    const ids = Array.from({ length: 8 }, (_, i) => `agg-${i}`);
    await eventually(
      () => Promise.resolve(ids.every((id) => w2.store.get(id).version === 21)),
      30000,
      'w2 caught up',
    );
    // From w2, every aggregate: those on w2's partition are decided here (after its first command there).
    for (const id of ids) expect((await w2.add(id, 'moved')).accepted).toBe(true);
    const results = await Promise.all(ids.map((id) => w2.add(id, 'moved again')));
    expect(results.every((r) => r.accepted && r.version === 23)).toBe(true);
    const mine = ids.filter((id) => w2.processor.owns(w2.store.partitionOf(id)!));
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(ids.length);
    expect(w2.here.length).toBeGreaterThanOrEqual(mine.length);
    expect(w2.here.length).toBeLessThanOrEqual(mine.length * 2);
  });
});
