import { randomBytes, randomUUID } from 'node:crypto';
import { IHeaders, Partitioners } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { MailboxEvent } from '@ssync/domain';
import {
  DEAD_LETTER_HEADERS,
  EventEnvelope,
  aggregateTopics,
  connectKafka,
  deadLetterTopic,
} from '@ssync/messaging';
import {
  deleteTopics,
  dropDatabase,
  eventually,
  testKafka,
  testNamespace,
  TestNamespace,
} from '../support/env';
import { AppProcess, freePort, waitForHttp } from '../support/processes';

const MAILBOXES = Number(process.env.E2E_READY_MAILBOXES ?? 60_000);
/** Every PROBE_EVERY-th mailbox belongs to the probe owner: spread over the whole log and every partition. */
const PROBE_EVERY = 150;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) =>
  process.stderr.write(`[readiness ${new Date().toISOString().slice(11, 23)}] ${line}\n`);

type Provisioned = Extract<MailboxEvent, { type: 'MailboxProvisioned' }>;

/** Creates the namespace's topics as any role does at boot. */
async function createTopics(ns: TestNamespace): Promise<void> {
  await connectKafka({
    kafka: {
      brokers: ns.brokers,
      clientId: 'e2e-readiness',
      topicPrefix: ns.prefix,
      partitions: 4,
      replicationFactor: 1,
    },
  });
}

/**
 * Writes `count` MailboxProvisioned events straight to the mailbox event topic, in the envelope and partition
 * (keyed by mailbox id, like their commands) a sync worker would have written them: provisioning 60,000 mailboxes
 * through the API would take this machine many minutes, and only the log's size matters here.
 */
async function writeMailboxLog(ns: TestNamespace, count: number, probeOwner: string): Promise<number> {
  const producer = testKafka(ns).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
  });
  await producer.connect();
  let probes = 0;
  try {
    for (let start = 0; start < count; start += 2000) {
      const messages = [];
      for (let i = start; i < Math.min(count, start + 2000); i++) {
        const mailboxId = randomUUID();
        const probe = i % PROBE_EVERY === 0;
        if (probe) probes++;
        const commandId = randomUUID();
        const envelope: EventEnvelope<Provisioned> = {
          eventId: randomUUID(),
          type: 'MailboxProvisioned',
          schemaVersion: 1,
          aggregateType: 'mailbox',
          aggregateId: mailboxId,
          sequence: 1,
          occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
          orgId: 'default',
          actor: 'e2e-readiness',
          correlationId: commandId,
          causationId: commandId,
          payload: {
            mailboxId,
            kind: i % 10 === 0 ? 'Queue' : 'User',
            settings: {
              name: `Mailbox ${i}`,
              emailAddress: `user${i}@contoso.example`,
              ownerId: probe ? probeOwner : `owner-${i % 97}`,
              serverProfileId: null,
              incomingEmailDeliveryMethod: 'None',
              outgoingEmailDeliveryMethod: 'None',
              actDeliveryMethod: 'None',
              syncOnlyFromThisOrg: false,
            },
            emailAddressStatus: 'PendingApproval',
          },
        };
        messages.push({ key: mailboxId, value: JSON.stringify(envelope), headers: { type: envelope.type } });
      }
      await producer.send({ topic: aggregateTopics(ns.prefix, 'mailbox').events, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
  return probes;
}

interface Answer {
  sentAt: number;
  at: number;
  status: number;
  retryAfter: string | null;
  body: any;
}

async function get(url: string, token?: string): Promise<Answer | null> {
  const sentAt = Date.now();
  try {
    const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const text = await res.text();
    return {
      sentAt,
      at: Date.now(),
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: text ? JSON.parse(text) : null,
    };
  } catch {
    return null; // not listening yet
  }
}

/** Issue #9 item 4: a role is ready, and answers, only once it has read the log as it was when it started. */
describe('readiness: never a partial answer after a restart', () => {
  const ns = testNamespace('e2e-ready');
  const token = `dev-${randomBytes(16).toString('hex')}`;
  const probeOwner = `probe-${randomBytes(4).toString('hex')}`;
  let probes = 0;
  let port: number;
  let base: string;
  let api: AppProcess | null = null;

  function startApi(): AppProcess {
    return new AppProcess('api', 'apps/api/src/main.js', {
      ...ns.env,
      SSYNC_DEV_TOKEN: token,
      PORT: String(port),
      // The same identity after the crash: its stores' groups wait out the dead member first, and then read the
      // whole log while requests already arrive.
      SSYNC_INSTANCE_ID: 'api-readiness',
    }).start();
  }

  /**
   * From the first moment the API accepts connections, lists the probe owner's mailboxes back to back and asks
   * /health/ready alongside, until both have answered 200 a few times.
   */
  async function watchStart(): Promise<{ lists: Answer[]; readies: Answer[] }> {
    const lists: Answer[] = [];
    const readies: Answer[] = [];
    const deadline = Date.now() + 150_000;
    const done = () =>
      lists.filter((a) => a.status === 200).length >= 5 && readies.some((a) => a.status === 200);
    const listUrl = `${base}/api/v1/mailboxes?ownerId=${probeOwner}&limit=500`;
    await Promise.all([
      (async () => {
        while (!done() && Date.now() < deadline) {
          const a = await get(listUrl, token);
          if (a) lists.push(a);
          else await sleep(5);
        }
      })(),
      (async () => {
        while (!done() && Date.now() < deadline) {
          const a = await get(`${base}/health/ready`);
          if (a) readies.push(a);
          await sleep(a ? 50 : 5);
        }
      })(),
    ]);
    const first = lists[0]?.sentAt ?? Date.now();
    const firstOk = lists.find((a) => a.status === 200);
    const firstReady = readies.find((a) => a.status === 200);
    log(
      `lists: ${lists.filter((a) => a.status === 503).length} × 503 then complete after ${firstOk ? firstOk.at - first : '-'} ms; ` +
        `/health/ready: ${readies.filter((a) => a.status === 503).length} × 503, 200 after ${firstReady ? firstReady.at - first : '-'} ms`,
    );
    return { lists, readies };
  }

  function expectNeverPartial({ lists, readies }: { lists: Answer[]; readies: Answer[] }): void {
    expect(lists.some((a) => a.status === 200)).toBe(true);
    expect(readies.some((a) => a.status === 200)).toBe(true);
    for (const a of lists) {
      if (a.status === 503) {
        expect(a.retryAfter).toMatch(/^\d+$/);
        expect(a.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
        expect(a.body.behind).toBeDefined();
      } else {
        // The whole answer or none: every probe mailbox, on one page.
        expect({ status: a.status, items: a.body.items?.length, nextCursor: a.body.nextCursor }).toEqual({
          status: 200,
          items: probes,
          nextCursor: null,
        });
      }
    }
    const ready = readies.find((a) => a.status === 200)!;
    // Ready means caught up: no request sent after it was answered may be turned away.
    for (const a of lists.filter((l) => l.sentAt > ready.at)) expect(a.status).toBe(200);
    for (const a of readies.filter((r) => r.status === 503)) {
      expect(a.retryAfter).toBe('1');
      expect(a.body.status).toBe('not-ready');
      expect(a.body.reasons.length).toBeGreaterThan(0);
    }
    expect(ready.body).toMatchObject({ status: 'ready', caughtUpToStart: true, problems: { gaps: 0 } });
  }

  beforeAll(async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await createTopics(ns);
    const started = Date.now();
    probes = await writeMailboxLog(ns, MAILBOXES, probeOwner);
    log(
      `${MAILBOXES} MailboxProvisioned events written in ${Date.now() - started} ms (${probes} of the probe owner)`,
    );
  });

  afterAll(async () => {
    await api?.stop();
    if (process.env.SSYNC_TEST_KEEP !== '1') {
      await dropDatabase(ns);
      await deleteTopics(ns);
    }
  });

  it('a freshly started API answers 503 with Retry-After or the complete list, never part of it', async () => {
    api = startApi();
    expectNeverPartial(await watchStart());
  });

  it('so does the same API after a crash and restart, and then it lists every mailbox', async () => {
    await api!.kill9();
    api = startApi();
    expectNeverPartial(await watchStart());
    let total = 0;
    let cursor: string | null = null;
    do {
      const page: Answer | null = await get(
        `${base}/api/v1/mailboxes?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        token,
      );
      expect(page?.status).toBe(200);
      total += page!.body.items.length as number;
      cursor = page!.body.nextCursor as string | null;
    } while (cursor);
    expect(total).toBe(MAILBOXES);
  });
});

/** Issue #9 item 6: an event nobody can decode is set aside where it can be found, never skipped silently. */
describe('dead letters and the health of the projector and the sync worker', () => {
  const ns = testNamespace('e2e-dlq');
  const apps: AppProcess[] = [];
  let projectorHealth: string;
  let workerHealth: string;

  beforeAll(async () => {
    await createTopics(ns);
    const [p, w] = [await freePort(), await freePort()];
    projectorHealth = `http://127.0.0.1:${p}/health`;
    workerHealth = `http://127.0.0.1:${w}/health`;
    apps.push(
      new AppProcess('projector', 'apps/projector/src/main.js', {
        ...ns.env,
        HEALTH_PORT: String(p),
      }).start(),
      new AppProcess('sync-worker', 'apps/sync-worker/src/main.js', {
        ...ns.env,
        HEALTH_PORT: String(w),
      }).start(),
    );
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    if (process.env.SSYNC_TEST_KEEP !== '1') {
      await dropDatabase(ns);
      await deleteTopics(ns);
    }
  });

  it('the sync worker reports live at once and ready once its processors joined and its stores caught up', async () => {
    await waitForHttp(`${workerHealth}/live`, 60_000, apps[1]);
    await waitForHttp(`${workerHealth}/ready`, 120_000, apps[1]);
    const body: any = await (await fetch(`${workerHealth}/ready`)).json();
    expect(body).toMatchObject({
      status: 'ready',
      reasons: [],
      checks: { mailboxCommandProcessor: true, activityCommandProcessor: true, mongodb: true },
      stores: { mailboxes: { caughtUpToStart: true }, activities: { caughtUpToStart: true } },
      problems: { gaps: 0, undecodable: 0 },
    });
  });

  it('an undecodable event is logged, written to the dead-letter topic with its coordinates, and reported', async () => {
    await waitForHttp(`${projectorHealth}/ready`, 120_000, apps[0]);
    const kafka = testKafka(ns);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const profileTopic = aggregateTopics(ns.prefix, 'profile').events;
    const [garbage] = await producer.send({
      topic: profileTopic,
      messages: [{ key: 'k1', partition: 1, value: '{"not": "an envelope"', headers: { origin: 'e2e' } }],
    });
    // A valid event after it on the same partition: the projector must move past the dead letter.
    const mailboxId = randomUUID();
    const mailboxTopic = aggregateTopics(ns.prefix, 'mailbox').events;
    const after: EventEnvelope<Provisioned> = {
      eventId: randomUUID(),
      type: 'MailboxProvisioned',
      schemaVersion: 1,
      aggregateType: 'mailbox',
      aggregateId: mailboxId,
      sequence: 1,
      occurredAt: new Date().toISOString(),
      orgId: 'default',
      actor: 'e2e',
      correlationId: mailboxId,
      causationId: mailboxId,
      payload: {
        mailboxId,
        kind: 'User',
        settings: {
          name: 'After the garbage',
          emailAddress: null,
          ownerId: 'e2e',
          serverProfileId: null,
          incomingEmailDeliveryMethod: 'None',
          outgoingEmailDeliveryMethod: 'None',
          actDeliveryMethod: 'None',
          syncOnlyFromThisOrg: false,
        },
        emailAddressStatus: 'Empty',
      },
    };
    const [second] = await producer.send({
      topic: mailboxTopic,
      messages: [
        { key: mailboxId, partition: 0, value: Buffer.from([0xff, 0xfe, 0x00]) },
        { key: mailboxId, partition: 0, value: JSON.stringify(after) },
      ],
    });
    await producer.disconnect();

    const report: any = await eventually(
      async () => {
        const body: any = await (await fetch(`${projectorHealth}/ready`)).json();
        return body.deadLetters?.count === 2 ? (body as object) : null;
      },
      60_000,
      'two dead letters on the projector readiness',
    );
    expect(report.status).toBe('ready');
    expect(report.deadLetters.topic).toBe(deadLetterTopic(ns.prefix));
    expect(report.deadLetters.recent).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          topic: profileTopic,
          partition: 1,
          offset: garbage!.baseOffset,
          reason: expect.stringMatching(/^not JSON/),
        }),
        expect.objectContaining({ topic: mailboxTopic, partition: 0, offset: second!.baseOffset }),
      ]),
    );
    expect(apps[0]!.output).toContain(`${profileTopic}[1]@${garbage!.baseOffset}`);

    const letters = await readTopic(ns, deadLetterTopic(ns.prefix), 2);
    const byTopic = (t: string) => letters.find((l) => header(l.headers, DEAD_LETTER_HEADERS.topic) === t)!;
    const first = byTopic(profileTopic);
    expect(first.value?.toString()).toBe('{"not": "an envelope"');
    expect(header(first.headers, DEAD_LETTER_HEADERS.partition)).toBe('1');
    expect(header(first.headers, DEAD_LETTER_HEADERS.offset)).toBe(garbage!.baseOffset);
    expect(header(first.headers, DEAD_LETTER_HEADERS.reason)).toMatch(/^not JSON/);
    expect(header(first.headers, 'origin')).toBe('e2e');
    expect(byTopic(mailboxTopic).value).toEqual(Buffer.from([0xff, 0xfe, 0x00]));

    // The event behind the dead letter was projected: the consumer moved on (and committed) past it.
    const client = await MongoClient.connect(ns.mongoUri);
    try {
      await eventually(
        async () =>
          (await client
            .db()
            .collection('mailboxes_v1')
            .findOne({ _id: mailboxId as never })) !== null,
        60_000,
        'the mailbox after the dead letter in the read model',
      );
    } finally {
      await client.close();
    }
  });
});

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  return v === undefined ? undefined : Array.isArray(v) ? String(v[0]) : v.toString();
}

async function readTopic(
  ns: TestNamespace,
  topic: string,
  expected: number,
): Promise<{ value: Buffer | null; headers: IHeaders | undefined }[]> {
  const consumer = testKafka(ns).consumer({ groupId: `${ns.prefix}.read.${randomBytes(4).toString('hex')}` });
  const out: { value: Buffer | null; headers: IHeaders | undefined }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      out.push({ value: message.value, headers: message.headers });
      return Promise.resolve();
    },
  });
  try {
    await eventually(
      () => Promise.resolve(out.length >= expected),
      30_000,
      `${expected} records in ${topic}`,
    );
  } finally {
    await consumer.disconnect();
  }
  return out;
}
