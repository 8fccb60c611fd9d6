import { randomUUID } from 'node:crypto';
import { Kafka } from 'kafkajs';
import mongoose from 'mongoose';
import request from 'supertest';
import { KafkaSaslMechanism, loadCoreConfig } from '@ssync/common';
import { connectKafka, createKafka } from '@ssync/messaging';
import { readModelConnectionOptions } from '@ssync/read-models';
import { deleteTopics, dropDatabase, testNamespace } from '../support/env';
import { startInProcessStack } from '../support/stack';

/**
 * Issue #14: the roles reach Kafka over TLS, and with SASL over TLS, through their configuration alone
 * (KAFKA_SSL_*, KAFKA_SASL_*). The local broker of scripts/infra.mjs listens with TLS beside its plaintext
 * listener, with a development CA; test/support/global-setup.ts passes its endpoints on as SSYNC_INFRA_KAFKA_*.
 */
const tlsBrokers = process.env.SSYNC_INFRA_KAFKA_TLS_BROKERS;
const missing = process.env.SSYNC_INFRA_KAFKA_TLS_MISSING ?? 'no SSYNC_INFRA_KAFKA_TLS_BROKERS';
// CI's broker is the local one, started fresh: it has the listener, so its absence there is a failure.
const required = process.env.CI === 'true' && !/KAFKA_BROKERS|docker/.test(missing);

if (!tlsBrokers && required)
  describe('Kafka over TLS', () => it('has a TLS listener in CI', () => expect(missing).toBe('')));
if (!tlsBrokers && !required) process.stderr.write(`kafka-tls.int-spec: skipped, ${missing}\n`);

(tlsBrokers ? describe : describe.skip)('Kafka over TLS, configured by the environment', () => {
  const ns = testNamespace('kafka_tls');
  const env = (extra: Record<string, string>) => ({
    SSYNC_TOPIC_PREFIX: ns.prefix,
    SSYNC_PARTITIONS: '1',
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: process.env.SSYNC_INFRA_KAFKA_TLS_CA_FILE ?? '',
    KAFKA_BROKERS: tlsBrokers ?? '',
    ...extra,
  });
  const sasl = (mechanism: KafkaSaslMechanism) => ({
    KAFKA_BROKERS: process.env.SSYNC_INFRA_KAFKA_SASL_BROKERS ?? '',
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: process.env.SSYNC_INFRA_KAFKA_SASL_USERNAME ?? '',
    KAFKA_SASL_PASSWORD_FILE: process.env.SSYNC_INFRA_KAFKA_SASL_PASSWORD_FILE ?? '',
  });
  // A topic of its own: the stack below would read records put in its command topics as malformed commands.
  const topic = `${ns.prefix}.tls-check`;

  /** Connects an admin client once (no retries), so a refusal comes back at once. */
  async function reach(kafka: Kafka): Promise<void> {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
    } finally {
      await admin.disconnect();
    }
  }

  const once = (extra: Record<string, string>) =>
    createKafka({ ...loadCoreConfig(env(extra), 'tls-test').kafka, retries: 0, silent: true });

  /** Produces one record and reads it back with a group of its own. */
  async function roundTrip(kafka: Kafka): Promise<string> {
    const value = `over-tls-${randomUUID()}`;
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: value, value }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `${ns.prefix}.tls.${randomUUID()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      return await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the record did not come back')), 60_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            if (message.value?.toString() !== value) return;
            clearTimeout(timer);
            resolve(value);
            await Promise.resolve();
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
  }

  beforeAll(async () => {
    // What every role does at boot (connectKafka creates the topics), here over TLS.
    const kafka = await connectKafka(loadCoreConfig(env({}), 'tls-test'));
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
  });

  afterAll(async () => {
    await dropDatabase(ns);
    await deleteTopics(ns);
  });

  it("a role's client, given the CA in KAFKA_SSL_CA_FILE, produces and consumes over TLS", async () => {
    const config = loadCoreConfig(env({}), 'tls-test');
    expect(config.kafka.tls?.ca).toContain('BEGIN CERTIFICATE');
    const value = await roundTrip(createKafka(config.kafka));
    expect(value).toMatch(/^over-tls-/);
  });

  it('refuses a broker whose certificate the client cannot check: without the CA, or under another name', async () => {
    // Node's public roots do not include the development CA.
    await expect(reach(once({ KAFKA_SSL_CA_FILE: '' }))).rejects.toThrow(/certificate/i);
    // The certificate names localhost and 127.0.0.1; the name checked is KAFKA_SSL_SERVERNAME when given.
    await expect(reach(once({ KAFKA_SSL_SERVERNAME: 'kafka.invalid' }))).rejects.toThrow(
      /kafka\.invalid|altnames/i,
    );
    await expect(reach(once({ KAFKA_SSL_SERVERNAME: 'localhost' }))).resolves.toBeUndefined();
    // And a plaintext client gets nothing from the TLS listener.
    await expect(
      reach(createKafka({ brokers: [tlsBrokers ?? ''], clientId: 'plaintext', retries: 0, silent: true })),
    ).rejects.toThrow();
  });

  const mechanisms: KafkaSaslMechanism[] =
    process.env.SSYNC_INFRA_KAFKA_SCRAM === '1' ? ['plain', 'scram-sha-256', 'scram-sha-512'] : ['plain'];

  it.each(mechanisms)(
    'authenticates with SASL %s over TLS, and refuses a wrong password',
    async (mechanism) => {
      const config = loadCoreConfig(env(sasl(mechanism)), 'tls-test');
      expect(config.kafka.sasl?.mechanism).toBe(mechanism);
      await expect(roundTrip(createKafka(config.kafka))).resolves.toMatch(/^over-tls-/);
      const wrong = {
        ...sasl(mechanism),
        KAFKA_SASL_PASSWORD_FILE: '',
        KAFKA_SASL_PASSWORD: 'not-the-password',
      };
      await expect(reach(once(wrong))).rejects.toThrow(/SASL|authentication/i);
    },
  );

  // FerretDB's TLS listener (infra.mjs), when it has one: the namespace's database on it.
  const mongoTlsUri = (() => {
    const given = process.env.SSYNC_INFRA_MONGODB_TLS_URI;
    if (!given) return null;
    const url = new URL(given);
    url.pathname = `/${ns.database}`;
    return url.toString();
  })();

  (mongoTlsUri ? it : it.skip)(
    'gives mongoose MONGODB_URI as it is: tls=true with tlsCAFile answers, without the CA it is refused',
    async () => {
      const config = loadCoreConfig({ ...env({}), MONGODB_URI: mongoTlsUri ?? '' }, 'tls-test');
      expect(config.mongo.uri).toBe(mongoTlsUri);
      const ping = async (uri: string) => {
        const conn = await mongoose
          .createConnection(uri, readModelConnectionOptions(config.mongo, 1500))
          .asPromise();
        try {
          return (await conn.db!.command({ ping: 1 })).ok as number;
        } finally {
          await conn.close();
        }
      };
      await expect(ping(config.mongo.uri)).resolves.toBe(1);
      const withoutCa = new URL(config.mongo.uri);
      withoutCa.searchParams.delete('tlsCAFile');
      await expect(ping(withoutCa.toString())).rejects.toThrow(/certificate/i);
    },
  );

  it('runs the API, the projector and a mailbox owner over SASL and TLS (and MongoDB over TLS), from the environment alone', async () => {
    const token = 'dev-token-kafka-tls-int-test';
    const stack = await startInProcessStack(ns, {
      ...env(sasl(mechanisms.at(-1) ?? 'plain')),
      ...(mongoTlsUri ? { MONGODB_URI: mongoTlsUri } : {}),
      SSYNC_DEV_TOKEN: token,
    });
    try {
      const http = () => request.agent(stack.url).set('Authorization', `Bearer ${token}`);
      // A command goes to its owner and back through Kafka; the read is the projector's.
      const created = await http()
        .post('/api/v1/email-server-profiles')
        .send({
          name: 'Over TLS',
          autoDiscoverServerLocation: false,
          incomingServerLocation: 'https://mail.contoso.com/EWS/Exchange.asmx',
          outgoingServerLocation: 'https://mail.contoso.com/EWS/Exchange.asmx',
          authenticateUsing: 'CredentialsSpecifiedByUserOrQueue',
        })
        .expect(201);
      const read = await http()
        .get(`/api/v1/email-server-profiles/${created.body.id as string}`)
        .set('X-Min-Version', '1')
        .expect(200);
      expect(read.body).toMatchObject({ name: 'Over TLS', version: 1 });
    } finally {
      await stack.stop();
    }
  });
});
