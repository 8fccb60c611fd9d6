import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaTransactions } from '@ssync/common';
import { suiteTopics, testKafka, testNamespace } from '../../../test/support/env';
import { CounterState, counter, counterDefinition } from '../../../test/support/counter-aggregate';
import { AggregateStore } from './aggregate-store';
import { KafkaCommandGateway } from './command-gateway';
import { CommandProcessor } from './command-processor';
import { followerConsumer } from './kafka';
import { replyPartition } from './reply-partition';
import { aggregateTopics, resultsTopic } from './topics';

type S = CounterState;
const definition = counterDefinition('alert');

async function transactionsViaTopic(): Promise<number> {
  const metric = await kafkaTransactions.get();
  return metric.values
    .filter((v) => v.labels.aggregate === 'alert' && v.labels.via === 'topic')
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * A processor whose callers can wait fetches its commands topic at most every `topicPaceMs` once caught up, so
 * commands sent one after the other share a transaction per partition instead of one each (issue #12: a worker's
 * tracked messages, each its own command through the activity commands topic).
 */
describe('a command processor that paces its fetches (topicPaceMs)', () => {
  const ns = testNamespace('pace');
  const kafka = testKafka(ns);
  const options = { topicPrefix: ns.prefix, orgId: 'org', instanceId: 'p1', snapshotEveryMs: 0 };
  const parts = suiteTopics(ns, kafka, 2);

  it('decides commands sent one after the other within its pace in shared transactions, each once', async () => {
    const store = new AggregateStore<S>(
      kafka,
      aggregateTopics(ns.prefix, 'alert').events,
      `${ns.prefix}.p1`,
      counter,
    );
    const processor = new CommandProcessor(kafka, store, definition, { ...options, topicPaceMs: 1000 });
    const gateway = new KafkaCommandGateway(kafka, { ...options, timeoutMs: 30000 });
    await store.start();
    await processor.start();
    await gateway.start();
    parts.push(store, processor, gateway);
    const add = (id: string) =>
      gateway.sendCommand('alert', id, {
        type: 'Add',
        commandId: randomUUID(),
        actor: 'test',
        issuedAt: new Date().toISOString(),
      });
    // The processor owns both partitions once their first commands went through.
    const ids = Array.from({ length: 12 }, (_, i) => `agg-${i}`);
    for (const id of ids) expect((await add(id)).accepted).toBe(true);

    const before = await transactionsViaTopic();
    const sent: Promise<Awaited<ReturnType<typeof add>>>[] = [];
    for (const id of ids) {
      sent.push(add(id));
      await sleep(30);
    }
    const results = await Promise.all(sent);
    expect(results.every((r) => r.accepted && !r.duplicate && r.version === 2)).toBe(true);
    // Twelve commands over ~360 ms, against a 1 s pace: one or two fetches, a transaction per partition each (at
    // every command, it was about one transaction per command).
    expect((await transactionsViaTopic()) - before).toBeLessThanOrEqual(4);
    for (const id of ids) expect(store.get(id).version).toBe(2);
  });
});

/**
 * A reader that can wait (the projector, the workers' stores, the API's operational reader) fetches at most once per
 * pace once caught up: at every commit it would fetch again (docs/adr/0015, addendum 5).
 */
describe('a follower paces its fetches (followerConsumer)', () => {
  const ns = testNamespace('follow');
  const kafka = testKafka(ns);
  suiteTopics(ns, kafka, 2);

  async function fetchesWhileFollowing(paceMs: number): Promise<{ fetches: number; seen: number }> {
    const topic = aggregateTopics(ns.prefix, 'alert').events;
    const { consumer, pacer } = followerConsumer(kafka, { groupId: `${ns.prefix}.f${paceMs}` }, paceMs);
    let fetches = 0;
    let seen = 0;
    consumer.on(consumer.events.FETCH_START, () => (fetches += 1));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    const joined = new Promise((resolve) => consumer.on(consumer.events.FETCH, resolve));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        await pacer.settle(true);
      },
    });
    await joined;
    const producer = kafka.producer();
    await producer.connect();
    try {
      fetches = 0;
      // 20 commits over ~1 s, as a busy topic sees them.
      for (let i = 0; i < 20; i += 1) {
        await producer.send({ topic, messages: [{ key: `k${i}`, value: `{"i":${i}}`, partition: 0 }] });
        await sleep(50);
      }
      for (let waited = 0; seen < 20 && waited < 30000; waited += 50) await sleep(50);
      return { fetches, seen };
    } finally {
      await producer.disconnect();
      await consumer.disconnect();
    }
  }

  it('sees every record, fetching about once per pace instead of at every commit', async () => {
    const unpaced = await fetchesWhileFollowing(0);
    const paced = await fetchesWhileFollowing(1000);
    expect(unpaced.seen).toBe(20);
    expect(paced.seen).toBe(20);
    // ~1.5 s of following: two or three fetches at a 1 s pace; about one per commit without it.
    expect(paced.fetches).toBeLessThanOrEqual(4);
    expect(unpaced.fetches).toBeGreaterThan(10);
  });
});

/** Results are keyed by the caller's instance id: each gateway reads only the partition its own land in. */
describe('gateways read only their own results partition (replyPartitionAssigner)', () => {
  const ns = testNamespace('reply');
  const kafka = testKafka(ns);
  const parts = suiteTopics(ns, kafka, 4);

  it('each gets its results from the one partition it reads', async () => {
    const topic = resultsTopic(ns.prefix);
    const metadata = Array.from({ length: 4 }, (_, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 1,
      replicas: [1],
      isr: [1],
    }));
    // Two instances whose results land in different partitions.
    const ids = Array.from({ length: 20 }, (_, i) => `g${i}`);
    const first = ids[0]!;
    const second = ids.find(
      (id) => replyPartition(topic, metadata, id) !== replyPartition(topic, metadata, first),
    )!;
    const store = new AggregateStore<S>(
      kafka,
      aggregateTopics(ns.prefix, 'alert').events,
      `${ns.prefix}.r`,
      counter,
    );
    const processor = new CommandProcessor(kafka, store, definition, {
      topicPrefix: ns.prefix,
      orgId: 'org',
      instanceId: 'processor',
      snapshotEveryMs: 0,
    });
    await store.start();
    await processor.start();
    parts.push(store, processor);
    const gateways = [first, second].map(
      (instanceId) =>
        new KafkaCommandGateway(kafka, {
          topicPrefix: ns.prefix,
          orgId: 'org',
          instanceId,
          timeoutMs: 30000,
        }),
    );
    for (const gateway of gateways) {
      await gateway.start();
      parts.push(gateway);
    }
    const results = await Promise.all(
      gateways.flatMap((gateway, g) =>
        Array.from({ length: 6 }, (_, i) =>
          gateway.sendCommand('alert', `agg-${g}-${i}`, {
            type: 'Add',
            commandId: randomUUID(),
            actor: 'test',
            issuedAt: new Date().toISOString(),
          }),
        ),
      ),
    );
    expect(results.every((r) => r.accepted && r.version === 1)).toBe(true);
    expect(gateways[0]!.readsResultPartitions()).toEqual([replyPartition(topic, metadata, first)]);
    expect(gateways[1]!.readsResultPartitions()).toEqual([replyPartition(topic, metadata, second)]);
  });
});
