import request from 'supertest';
import { EventEnvelope, KafkaCommandGateway } from '@ssync/messaging';
import { readAllTopicBytes, testNamespace } from '../support/env';
import { jobCompleted, supertestCall } from '../support/jobs';
import { InProcessStack, startInProcessStack, stopInProcessStack } from '../support/stack';
import { provisionMany } from './support/mailboxes';

const N = Number(process.env.SSYNC_TEST_BULK_MAILBOXES ?? 10_000);
const DEV_TOKEN = 'dev-token-bulk-int-test';

describe(`bulk jobs at enterprise size (${N} mailboxes)`, () => {
  const ns = testNamespace('bulk');
  let stack: InProcessStack;
  const http = () => request.agent(stack.url).set('Authorization', `Bearer ${DEV_TOKEN}`);

  beforeAll(async () => {
    stack = await startInProcessStack(ns, { SSYNC_DEV_TOKEN: DEV_TOKEN });
  });

  afterAll(async () => {
    await stopInProcessStack(ns, stack);
  });

  it('approves every mailbox once, with a result per mailbox', async () => {
    const ids = await provisionMany(stack.app.get(KafkaCommandGateway), N);
    const started = Date.now();
    const res = await http().post('/api/v1/mailboxes/approve-email').send({ mailboxIds: ids }).expect(202);
    const jobId = res.body.jobId as string;
    const job = (await jobCompleted(supertestCall(http), jobId, { timeoutMs: 300000, what: 'bulk job' })) as {
      total: number;
      done: number;
      results: { mailboxId: string; outcome: string }[];
    };
    process.stdout.write(
      `approve-email over ${N} mailboxes: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    expect(job.total).toBe(N);
    expect(job.done).toBe(N);
    expect(job.results).toHaveLength(N);
    expect(new Set(job.results.map((r) => r.mailboxId))).toEqual(new Set(ids));
    expect(job.results.every((r) => r.outcome === 'Done')).toBe(true);

    const list = await http()
      .get('/api/v1/mailboxes')
      .query({ emailAddressStatus: 'Approved', limit: 500 })
      .expect(200);
    expect(list.body.items).toHaveLength(500);
    // Exactly one approval event per mailbox in the log.
    const approvals = (await readAllTopicBytes(ns, { committedOnly: true }))
      .filter((r) => r.topic === `${ns.prefix}.mailbox.events`)
      .map((r) => JSON.parse(r.value) as EventEnvelope)
      .filter((e) => e.type === 'MailboxEmailApproved');
    expect(approvals).toHaveLength(N);
    expect(new Set(approvals.map((e) => e.aggregateId)).size).toBe(N);
    expect(
      approvals.every((e) => e.sequence === 2 && e.actor === 'dev-admin' && e.correlationId === jobId),
    ).toBe(true);
  });
});
