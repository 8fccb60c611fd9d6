// Proves the provisioned infrastructure really answers (test/support/global-setup.ts starts or reuses it):
// Kafka through kafkajs (topic admin, produce, consume in a consumer group) and the MongoDB-compatible server
// through the official driver (unique index, insert, find, duplicate-key error), and that the embedded server runs
// on the backend the infrastructure recorded (PostgreSQL by default, docs/adr/0009).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { MongoClient, MongoServerError } from 'mongodb';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the int tier must run with test/support/global-setup.ts`);
  return value;
}

describe('provisioned infrastructure', () => {
  const suffix = randomUUID().slice(0, 8);

  it('Kafka creates and deletes a topic, and delivers a produced message to a consumer group', async () => {
    const kafka = new Kafka({
      clientId: `infra-int-spec-${suffix}`,
      brokers: requiredEnv('KAFKA_BROKERS').split(','),
      logLevel: logLevel.WARN,
    });
    const topic = `ssync.infra-check.${suffix}`;
    const admin = kafka.admin();
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const consumer = kafka.consumer({ groupId: `infra-int-spec-${suffix}` });
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);

      await expect(
        admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }),
      ).resolves.toBe(true);
      expect(await admin.listTopics()).toContain(topic);

      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const received = new Promise<{ key: string; value: string; partition: number }>((resolve) => {
        void consumer.run({
          eachMessage: ({ message, partition }) => {
            resolve({
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
              partition,
            });
            return Promise.resolve();
          },
        });
      });
      const [meta] = await producer.send({
        topic,
        acks: -1,
        messages: [{ key: 'mailbox-1', value: JSON.stringify({ hello: 'kafka', suffix }) }],
      });
      const message = await received;
      expect(message).toEqual({
        key: 'mailbox-1',
        value: JSON.stringify({ hello: 'kafka', suffix }),
        partition: meta?.partition,
      });

      await consumer.disconnect();
      await admin.deleteTopics({ topics: [topic], timeout: 30000 });
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  });

  it('the MongoDB-compatible server inserts and finds a document and enforces a unique index', async () => {
    const client = new MongoClient(requiredEnv('MONGODB_URI'), { serverSelectionTimeoutMS: 10000 });
    await client.connect();
    try {
      const db = client.db('ssync_infra_check');
      const name = `check_${suffix}`;
      const collection = db.collection<{ _id?: unknown; key: string; n: number }>(name);
      await collection.createIndex({ key: 1 }, { unique: true, name: 'key_unique' });

      const { insertedId } = await collection.insertOne({ key: 'a', n: 1 });
      await collection.updateOne({ key: 'a' }, { $inc: { n: 1 } });
      const found = await collection.findOne({ _id: insertedId });
      expect(found).toMatchObject({ key: 'a', n: 2 });

      const duplicate = await collection.insertOne({ key: 'a', n: 3 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(duplicate).toBeInstanceOf(MongoServerError);
      expect((duplicate as MongoServerError).code).toBe(11000);
      expect(await collection.countDocuments({ key: 'a' })).toBe(1);

      await collection.drop();
    } finally {
      await client.close();
    }
  });

  it('the embedded FerretDB answers from the backend the infrastructure recorded (PostgreSQL by default), filters served by an index', async () => {
    const info = JSON.parse(
      readFileSync(
        path.resolve(__dirname, '..', process.env.SSYNC_STATE_DIR ?? '.ssync', 'infra.json'),
        'utf8',
      ),
    ) as { mode: string; mongo: { backend?: string }; postgres?: { state: string } | null };
    const client = new MongoClient(requiredEnv('MONGODB_URI'), { serverSelectionTimeoutMS: 10000 });
    await client.connect();
    try {
      const collection = client.db('ssync_infra_check').collection(`backend_${suffix}`);
      // Enough rows that a plan by the index beats reading the table.
      await collection.insertMany(Array.from({ length: 2000 }, (_, i) => ({ key: `k${i}` })));
      await collection.insertOne({ key: 'a' });
      await collection.createIndex({ key: 1 });
      type Explained = { queryPlanner?: { Plan?: { 'Node Type'?: string } } };
      const plan = (await collection.find({ key: 'a' }).explain()) as Explained;
      const byId = (await collection.find({ _id: 'x' as never }).explain()) as Explained;
      await collection.drop();
      if (info.mode !== 'local') return; // a real MongoDB or a container: nothing embedded to check
      const backend = info.mongo.backend ?? 'sqlite';
      expect(backend).toBe(process.env.SSYNC_MONGO_BACKEND === 'sqlite' ? 'sqlite' : 'postgresql');
      if (backend === 'postgresql') {
        // FerretDB passes PostgreSQL's own EXPLAIN through: only PostgreSQL answers with plan nodes.
        expect(plan.queryPlanner?.Plan?.['Node Type']).toEqual(expect.any(String));
        // infra.mjs gives each FerretDB index a GIN twin that serves FerretDB's `@>` filters (docs/adr/0009).
        expect(JSON.stringify(plan.queryPlanner?.Plan)).toContain('Bitmap Index Scan');
        expect(JSON.stringify(byId.queryPlanner?.Plan)).toContain('Bitmap Index Scan');
        expect(info.postgres?.state).toMatch(/^(started|reused)$/);
      } else expect(JSON.stringify(plan.queryPlanner?.Plan ?? null)).not.toContain('Node Type'); // SQLite's plan
    } finally {
      await client.close();
    }
  });
});
