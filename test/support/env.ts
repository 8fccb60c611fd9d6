import { randomBytes } from 'node:crypto';
import { Kafka } from 'kafkajs';
import { loadKafkaSecurity } from '@ssync/common';
import { createKafka, ensureTopics, topicSpecs } from '@ssync/messaging';
import { MongoClient } from 'mongodb';

/** A namespace of its own for one test file: topics under a fresh prefix, a fresh database. */
export interface TestNamespace {
  prefix: string;
  database: string;
  brokers: string[];
  mongoUri: string;
  env: Record<string, string>;
}

export function testNamespace(name: string): TestNamespace {
  const suffix = randomBytes(3).toString('hex');
  const prefix = `t-${name}-${suffix}`;
  const database = `t_${name.replace(/[^A-Za-z0-9]/g, '_')}_${suffix}`;
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const server = new URL(process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/');
  server.pathname = `/${database}`;
  const mongoUri = server.toString();
  return {
    prefix,
    database,
    brokers,
    mongoUri,
    env: {
      KAFKA_BROKERS: brokers.join(','),
      MONGODB_URI: mongoUri,
      SSYNC_TOPIC_PREFIX: prefix,
      SSYNC_PARTITIONS: '4',
      LOG_LEVEL: 'warn',
    },
  };
}

export function testKafka(ns: TestNamespace): Kafka {
  // The environment's TLS and SASL settings too, so the suites can run against a secured Kafka.
  return createKafka({
    clientId: `test-${ns.prefix}`,
    brokers: ns.brokers,
    silent: true,
    ...loadKafkaSecurity(),
  });
}

/**
 * Every record of every topic of the namespace: raw bytes of keys, values and headers. By default records of
 * aborted transactions too (a secret scan must see everything); `committedOnly` reads as the consumers do.
 */
export async function readAllTopicBytes(
  ns: TestNamespace,
  opts: { committedOnly?: boolean } = {},
): Promise<{ topic: string; partition: number; offset: string; value: string; bytes: Buffer }[]> {
  const kafka = testKafka(ns);
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${ns.prefix}.`));
  const ends = new Map<string, number>();
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}:${p.partition}`, Number(p.high));
  }
  await admin.disconnect();
  const out: { topic: string; partition: number; offset: string; value: string; bytes: Buffer }[] = [];
  const consumer = kafka.consumer({
    groupId: `${ns.prefix}.scan.${randomBytes(4).toString('hex')}`,
    readUncommitted: !opts.committedOnly,
  });
  const seen = new Map<string, number>();
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    const check = () =>
      [...ends].every(([k, high]) => high === 0 || (seen.get(k) ?? -1) >= high - 1) && resolve();
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      seen.set(`${payload.topic}:${payload.partition}`, Number(payload.lastOffset));
      check();
    });
    check();
  });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const parts = [message.key ?? Buffer.alloc(0), message.value ?? Buffer.alloc(0)];
      for (const v of Object.values(message.headers ?? {})) if (Buffer.isBuffer(v)) parts.push(v);
      out.push({
        topic,
        partition,
        offset: message.offset,
        value: message.value?.toString('utf8') ?? '',
        bytes: Buffer.concat(parts),
      });
      await Promise.resolve();
    },
  });
  await Promise.race([done, new Promise((r) => setTimeout(r, 30000))]);
  await consumer.disconnect();
  return out;
}

/** How many records the aggregate's event topic holds (`<prefix>.<aggregate>.events`), over all partitions. */
export async function eventCount(ns: TestNamespace, aggregate: string): Promise<number> {
  const admin = testKafka(ns).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(`${ns.prefix}.${aggregate}.events`)).reduce(
      (n, p) => n + Number(p.high),
      0,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Every document of every collection of the namespace's database, as JSON text. */
export async function dumpDatabase(ns: TestNamespace): Promise<{ collection: string; json: string }[]> {
  const client = await MongoClient.connect(ns.mongoUri);
  try {
    const db = client.db(ns.database);
    const out: { collection: string; json: string }[] = [];
    for (const c of await db.listCollections({}, { nameOnly: true }).toArray()) {
      for (const doc of await db.collection(c.name).find({}).toArray())
        out.push({ collection: c.name, json: JSON.stringify(doc) });
    }
    return out;
  } finally {
    await client.close();
  }
}

/**
 * Drops every collection of the namespace's database. Not `dropDatabase`: FerretDB v1 (SQLite) deletes the
 * database's files while its own connections may still map them, which crashed it with SIGBUS here.
 */
export async function dropDatabase(ns: TestNamespace): Promise<void> {
  const client = await MongoClient.connect(ns.mongoUri);
  try {
    const db = client.db(ns.database);
    for (const c of await db.listCollections({}, { nameOnly: true }).toArray()) {
      await db.dropCollection(c.name).catch(() => undefined);
    }
  } finally {
    await client.close();
  }
}

/** Removes the namespace's topics so the shared broker does not fill up across runs. */
export async function deleteTopics(ns: TestNamespace): Promise<void> {
  const admin = testKafka(ns).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${ns.prefix}.`));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 30000 });
  } catch {
    // best effort
  } finally {
    await admin.disconnect();
  }
}

export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 20000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A messaging suite's topics: created before the suite (`partitions` each), deleted after it, once the parts it
 * started (pushed onto the returned list) are stopped, last started first.
 */
export function suiteTopics(
  ns: TestNamespace,
  kafka: Kafka,
  partitions: number,
): { stop(): Promise<void> }[] {
  const parts: { stop(): Promise<void> }[] = [];
  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    const specs = topicSpecs(ns.prefix, partitions, 1);
    await ensureTopics(admin, specs);
    // With other suites creating topics at the same time, the broker may not host a new one yet for a moment.
    await eventually(
      async () => {
        try {
          await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
          return true;
        } catch {
          return false;
        }
      },
      30000,
      'the suite topics hosted',
    );
    await admin.disconnect();
  });
  afterAll(async () => {
    for (const part of parts.reverse()) await part.stop();
    await deleteTopics(ns);
  });
  return parts;
}
