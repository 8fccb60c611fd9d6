import request from 'supertest';
import { EventEnvelope } from '@ssync/messaging';
import { PrivilegeClaim, TokenService } from '@ssync/security';
import { eventually, readAllTopicBytes, testNamespace } from '../support/env';
import { OpenApiConformance } from '../support/openapi';
import { InProcessStack, startInProcessStack, stopInProcessStack } from '../support/stack';
import type { JobView as Job } from '../../apps/api/src/jobs/bulk-jobs.service';

const DEV_TOKEN = 'dev-token-deactivate-int-test';

describe('Deactivate as a bulk job (issue #13; Kafka + MongoDB)', () => {
  const ns = testNamespace('deactivate');
  let stack: InProcessStack;
  let conformance: OpenApiConformance;
  const admin = `Bearer ${DEV_TOKEN}`;
  const http = () => request(stack.url);
  const token = (userId: string, privileges: PrivilegeClaim[]) =>
    `Bearer ${stack.app.get(TokenService).issueToken({ userId, name: userId, privileges, ttlSeconds: 600 })}`;

  beforeAll(async () => {
    stack = await startInProcessStack(ns, {
      SSYNC_DEV_TOKEN: DEV_TOKEN,
      LOG_LEVEL: process.env.DEBUG_LOG_LEVEL ?? 'warn',
    });
    conformance = new OpenApiConformance((await http().get('/api/openapi.json').expect(200)).body);
  });

  afterAll(async () => {
    await stopInProcessStack(ns, stack);
  });

  /** The answer, checked against the API's own document for the new operation. */
  const documented = (res: request.Response): request.Response => {
    expect(
      conformance.problems('post', '/api/v1/mailboxes/deactivate', {
        status: res.status,
        headers: res.headers,
        body: res.body,
      }),
    ).toEqual([]);
    return res;
  };

  async function provision(name: string, ownerId: string): Promise<string> {
    const res = await http()
      .post('/api/v1/mailboxes')
      .set('Authorization', admin)
      .send({ kind: 'User', name, emailAddress: `${name.toLowerCase()}@contoso.com`, ownerId })
      .expect(201);
    return res.body.id as string;
  }

  async function deactivate(mailboxIds: string[], auth = admin): Promise<Job> {
    const started = documented(
      await http().post('/api/v1/mailboxes/deactivate').set('Authorization', auth).send({ mailboxIds }),
    );
    expect(started.status).toBe(202);
    const jobId = started.body.jobId as string;
    return eventually(
      async () => {
        const res = await http().get(`/api/v1/jobs/${jobId}`).set('Authorization', auth);
        return res.status === 200 && res.body.status === 'Completed' ? (res.body as Job) : null;
      },
      60000,
      `deactivate job ${jobId}`,
    );
  }

  const byMailbox = (job: Job) => Object.fromEntries(job.results.map((r) => [r.mailboxId, r]));

  /** MailboxDeactivated events in the log, per mailbox. */
  async function deactivations(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const r of await readAllTopicBytes(ns, { committedOnly: true })) {
      if (r.topic !== `${ns.prefix}.mailbox.events`) continue;
      const e = JSON.parse(r.value) as EventEnvelope;
      if (e.type === 'MailboxDeactivated') counts.set(e.aggregateId, (counts.get(e.aggregateId) ?? 0) + 1);
    }
    return counts;
  }

  it('deactivates each mailbox once, with a result per mailbox; asked again, it changes nothing', async () => {
    const [ann, bob, cyd] = await Promise.all(['Ann', 'Bob', 'Cyd'].map((name) => provision(name, 'u-1')));
    // One already inactive: the job says so instead of reporting a change.
    await http().post(`/api/v1/mailboxes/${cyd!}/deactivate`).set('Authorization', admin).expect(200);

    const job = await deactivate([ann!, bob!, cyd!]);
    expect(job).toMatchObject({ type: 'DeactivateMailboxes', total: 3, done: 3, refused: 0 });
    expect(byMailbox(job)).toEqual({
      [ann!]: { mailboxId: ann, outcome: 'Done' },
      [bob!]: { mailboxId: bob, outcome: 'Done' },
      [cyd!]: { mailboxId: cyd, outcome: 'Done', reason: 'already inactive: nothing changed' },
    });
    for (const id of [ann!, bob!])
      expect(
        (
          await http()
            .get(`/api/v1/mailboxes/${id}`)
            .set('Authorization', admin)
            .set('X-Min-Version', '2')
            .expect(200)
        ).body,
      ).toMatchObject({ status: 'Inactive', enabledForIncomingEmail: false });
    await eventually(
      async () => {
        const list = await http().get('/api/v1/mailboxes').set('Authorization', admin).expect(200);
        return !list.body.items.some((m: { id: string }) => [ann, bob, cyd].includes(m.id));
      },
      10000,
      'the three mailboxes gone from the Active Mailboxes list',
    );

    const again = await deactivate([ann!, bob!, cyd!]);
    expect(again.results.map((r) => [r.outcome, r.reason])).toEqual(
      Array.from({ length: 3 }, () => ['Done', 'already inactive: nothing changed']),
    );
    const events = await deactivations();
    expect([ann!, bob!, cyd!].map((id) => events.get(id))).toEqual([1, 1, 1]);
  });

  it("at user depth reaches only the caller's own mailboxes: a 422 for any other, and nothing changes", async () => {
    const [mine, theirs] = await Promise.all([provision('Dee', 'alice'), provision('Eve', 'bob')]);
    const alice = token('alice', ['MailboxRead:User', 'MailboxWrite:User']);

    const refused = documented(
      await http()
        .post('/api/v1/mailboxes/deactivate')
        .set('Authorization', alice)
        .send({ mailboxIds: [mine, theirs] }),
    );
    expect(refused.status).toBe(422);
    expect(refused.body.unknownMailboxIds).toEqual([theirs]);
    // Only a reader: the single deactivate's privilege is needed.
    const reader = token('carol', ['MailboxRead']);
    expect(
      documented(
        await http()
          .post('/api/v1/mailboxes/deactivate')
          .set('Authorization', reader)
          .send({ mailboxIds: [mine] }),
      ).status,
    ).toBe(403);
    const invalid = documented(
      await http()
        .post('/api/v1/mailboxes/deactivate')
        .set('Authorization', admin)
        .send({ mailboxIds: [mine, mine] }),
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body.violations).toEqual([
      expect.objectContaining({ field: 'mailboxIds', rule: 'unique' }),
    ]);

    const job = await deactivate([mine], alice);
    expect(job.results).toEqual([{ mailboxId: mine, outcome: 'Done' }]);
    const events = await deactivations();
    expect([events.get(mine), events.get(theirs)]).toEqual([1, undefined]);
  });
});
