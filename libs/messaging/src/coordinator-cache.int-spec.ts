import { deleteTopics, testKafka, testNamespace } from '../../../test/support/env';

/**
 * kafkajs asks for the transaction coordinator before every transactional request; with the cache
 * (libs/messaging/src/coordinator-cache.ts, installed by createKafka) a writer asks once (docs/adr/0015, addendum 3).
 */
describe('transaction coordinator cache against the broker', () => {
  const ns = testNamespace('coord');
  const kafka = testKafka(ns);
  const topic = `${ns.prefix}.coordinator`;

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
  });

  afterAll(async () => {
    await deleteTopics(ns);
  });

  it('commits 20 transactions back to back with one FindCoordinator and no metadata refreshes, every record there', async () => {
    const producer = kafka.producer({
      transactionalId: `${ns.prefix}.writer`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const asked: string[] = [];
    producer.on(producer.events.REQUEST, ({ payload }) => asked.push(payload.apiName));
    await producer.connect();
    try {
      for (let i = 0; i < 20; i++) {
        const tx = await producer.transaction();
        await tx.send({ topic, messages: [{ key: `k${i % 2}`, value: String(i) }] });
        await tx.commit();
      }
    } finally {
      await producer.disconnect();
    }
    expect(asked.filter((n) => n === 'EndTxn')).toHaveLength(20);
    // FindCoordinator (kafkajs names it GroupCoordinator): once for InitProducerId, then the cached answer
    // (kafkajs alone asks before each AddPartitionsToTxn and EndTxn, ~60 times here).
    expect(asked.filter((n) => n === 'GroupCoordinator').length).toBeLessThanOrEqual(2);
    // A transaction opened while the last one's markers are written is retried at the coordinator, not through
    // kafkajs's send retry (a metadata refresh and ≥ 100 ms each: 13 refreshes for 20 transactions here).
    expect(asked.filter((n) => n === 'Metadata').length).toBeLessThanOrEqual(3);

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    // 20 records and 20 commit markers.
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(40);
  });
});
