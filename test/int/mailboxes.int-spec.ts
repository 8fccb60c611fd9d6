import request from 'supertest';
import { Privilege, TokenService } from '@ssync/security';
import { jobItemCommandId } from '../../apps/api/src/jobs/job-runner.service';
import { eventCount, eventually, testNamespace } from '../support/env';
import { jobCompleted, supertestCall } from '../support/jobs';
import { InProcessStack, startInProcessStack, stopInProcessStack } from '../support/stack';
import { bearerToken } from '../support/tokens';
import { EWS, SSS } from '../support/fixtures';
import type { JobView as Job } from '../../apps/api/src/jobs/bulk-jobs.service';

const DEV_TOKEN = 'dev-token-mailboxes-int-test';
const profileBody = {
  name: 'Contoso Exchange',
  autoDiscoverServerLocation: false,
  incomingServerLocation: EWS,
  outgoingServerLocation: EWS,
  authenticateUsing: 'CredentialsSpecifiedByUserOrQueue',
};

describe('mailboxes, organization settings, bulk jobs and privileges (Kafka + MongoDB)', () => {
  const ns = testNamespace('mailboxes');
  let stack: InProcessStack;
  const admin = `Bearer ${DEV_TOKEN}`;
  const http = () => request(stack.url);
  const api = supertestCall(http, admin);
  const as = (privileges: Privilege[], userId = 'someone') =>
    bearerToken(stack.app.get(TokenService), userId, privileges);

  beforeAll(async () => {
    stack = await startInProcessStack(ns, {
      SSYNC_DEV_TOKEN: DEV_TOKEN,
      LOG_LEVEL: process.env.DEBUG_LOG_LEVEL ?? 'warn',
      TRUST_PROXY: 'loopback',
      ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: '0',
    });
  });

  afterAll(async () => {
    await stopInProcessStack(ns, stack);
  });

  async function createProfile(
    name = 'Contoso Exchange',
    authenticateUsing = 'CredentialsSpecifiedByUserOrQueue',
  ): Promise<string> {
    const res = await http()
      .post('/api/v1/email-server-profiles')
      .set('Authorization', admin)
      .send({ ...profileBody, name, authenticateUsing })
      .expect(201);
    return res.body.id as string;
  }

  async function provision(body: Record<string, unknown>, auth = admin): Promise<Record<string, unknown>> {
    const res = await http().post('/api/v1/mailboxes').set('Authorization', auth).send(body);
    if (res.status !== 201) throw new Error(`provision: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Record<string, unknown>;
  }

  async function runJob(path: string, body: Record<string, unknown>, auth = admin) {
    const started = await http().post(`/api/v1/mailboxes/${path}`).set('Authorization', auth).send(body);
    expect(started.status).toBe(202);
    return (await jobCompleted(api, started.body.jobId as string, { timeoutMs: 120000 })) as Job;
  }

  const mailbox = async (id: string, minVersion = 1) =>
    (
      await http()
        .get(`/api/v1/mailboxes/${id}`)
        .set('Authorization', admin)
        .set('X-Min-Version', String(minVersion))
        .expect(200)
    ).body as Record<string, unknown>;

  it('follows the seed page through the API alone', async () => {
    const profileId = await createProfile('Contoso Exchange', 'WindowsIntegratedAuthentication');
    // Configure default email processing and synchronization.
    const settings = await http()
      .put('/api/v1/organization/email-settings')
      .set('Authorization', admin)
      .send({ defaultServerProfileId: profileId, ...SSS })
      .expect(200);
    expect(settings.body).toEqual({
      defaultServerProfileId: profileId,
      ...SSS,
      processEmailsOnlyForApprovedUsers: true,
      processEmailsOnlyForApprovedQueues: true,
      version: 1,
    });
    const read = await http()
      .get('/api/v1/organization/email-settings')
      .set('Authorization', admin)
      .set('X-Min-Version', '1')
      .expect(200);
    expect(read.body).toEqual(settings.body);

    const users = await Promise.all(
      [1, 2, 3].map((i) =>
        provision({
          kind: 'User',
          name: `User ${i}`,
          emailAddress: `user${i}@contoso.com`,
          ownerId: `u-${i}`,
        }),
      ),
    );
    const queues = await Promise.all(
      [1, 2].map((i) =>
        provision({
          kind: 'Queue',
          name: `Queue ${i}`,
          emailAddress: `queue${i}@contoso.com`,
          ownerId: 'team-1',
        }),
      ),
    );
    expect(users[0]).toMatchObject({
      kind: 'User',
      emailAddressStatus: 'PendingApproval',
      serverProfileId: null,
      incomingEmailDeliveryMethod: 'None',
      mailboxStatus: 'NotRun',
      version: 1,
    });
    const userIds = users.map((u) => u.id as string);
    const queueIds = queues.map((q) => q.id as string);

    // "Set mailboxes to the default profile": Apply Default Email Settings, which tests by default. The
    // organization processes email only for approved users, so the test fails at once until Approve Email.
    const applied = await runJob('apply-default-settings', { mailboxIds: userIds });
    expect(applied).toMatchObject({ type: 'ApplyDefaultEmailSettings', total: 3, done: 3 });
    expect(applied.results.map((r) => r.outcome)).toEqual(['Done', 'Done', 'Done']);
    for (const id of userIds) {
      const m = await mailbox(id, 4);
      expect(m).toMatchObject({
        serverProfileId: profileId,
        ...SSS,
        mailboxStatus: 'Failure',
        testPending: false,
      });
      expect(m.mailboxStatusReason).toMatch(/^EmailAddressNotApproved/);
    }

    // "Edit mailboxes to set the profile and delivery methods": Change Multiple Records.
    const edited = await runJob('bulk-edit', {
      mailboxIds: queueIds,
      changes: { serverProfileId: profileId, ...SSS },
    });
    expect(edited.results.every((r) => r.outcome === 'Done')).toBe(true);
    for (const id of queueIds)
      expect(await mailbox(id, 2)).toMatchObject({ serverProfileId: profileId, ...SSS });

    // "Approve email", then "Test configuration of mailboxes".
    const all = [...userIds, ...queueIds];
    const approved = await runJob('approve-email', { mailboxIds: all });
    expect(approved.done).toBe(5);
    const tested = await runJob('test-and-enable', { mailboxIds: all });
    expect(tested.results.every((r) => r.outcome === 'Done')).toBe(true);
    for (const id of all) {
      // users: provisioned, defaults applied + test requested + failed, approved, test requested; queues: 4
      const m = await mailbox(id, userIds.includes(id) ? 6 : 4);
      expect(m).toMatchObject({
        serverProfileId: profileId,
        ...SSS,
        emailAddressStatus: 'Approved',
        testPending: true,
        testId: jobItemCommandId(tested.id, id),
        testAreas: ['incomingEmail', 'outgoingEmail'], // ACT is not synchronized by this version
      });
    }

    // The Active Mailboxes list: filters, sort and paging.
    const list = await http()
      .get('/api/v1/mailboxes')
      .query({ serverProfileId: profileId, kind: 'Queue', emailAddressStatus: 'Approved' })
      .set('Authorization', admin)
      .expect(200);
    expect(list.body.items.map((m: { id: string }) => m.id).sort()).toEqual([...queueIds].sort());
    const page1 = await http()
      .get('/api/v1/mailboxes')
      .query({ q: 'contoso.com', sort: '-emailAddress', limit: 2 })
      .set('Authorization', admin)
      .expect(200);
    expect(page1.body.items.map((m: { emailAddress: string }) => m.emailAddress)).toEqual([
      'user3@contoso.com',
      'user2@contoso.com',
    ]);
    const page2 = await http()
      .get('/api/v1/mailboxes')
      .query({ q: 'contoso.com', sort: '-emailAddress', limit: 2, cursor: page1.body.nextCursor })
      .set('Authorization', admin)
      .expect(200);
    expect(page2.body.items.map((m: { emailAddress: string }) => m.emailAddress)).toEqual([
      'user1@contoso.com',
      'queue2@contoso.com',
    ]);
    // Every event records the acting user.
    // The audit log is a projection: wait until it holds the mailbox's events.
    const audit = await eventually(
      async () => {
        const res = await http().get(`/api/v1/audit/mailboxes/${userIds[0]}`).set('Authorization', admin);
        return res.status === 200 && res.body.events?.length >= 2 ? res : null;
      },
      30000,
      'audit of the first mailbox',
    );
    expect(new Set(audit.body.events.map((e: { actor: string }) => e.actor))).toEqual(new Set(['dev-admin']));
  });

  it('mailbox credentials are sealed, need a profile that uses them, and are never returned', async () => {
    const profileId = await createProfile('Creds profile');
    const m = await provision({
      kind: 'User',
      name: 'Creds',
      emailAddress: 'creds@contoso.com',
      serverProfileId: profileId,
    });
    const https = { 'X-Forwarded-Proto': 'https' };
    await http()
      .put(`/api/v1/mailboxes/${m.id as string}/credentials`)
      .set('Authorization', admin)
      .send({ userName: 'contoso\\creds', password: 'S3cret!' })
      .expect(400);
    const res = await http()
      .put(`/api/v1/mailboxes/${m.id as string}/credentials`)
      .set('Authorization', admin)
      .set(https)
      .send({ userName: 'contoso\\creds', password: 'S3cret!' })
      .expect(200);
    expect(res.body).toMatchObject({ credentialsSet: true, credentialsUserName: 'contoso\\creds' });
    expect(JSON.stringify(res.body)).not.toContain('S3cret!');
    // Good credentials on a mailbox whose profile authenticates otherwise: its state refuses them (409).
    const other = await provision({
      kind: 'User',
      name: 'Creds elsewhere',
      serverProfileId: await createProfile('Windows profile', 'WindowsIntegratedAuthentication'),
    });
    const refused = await http()
      .put(`/api/v1/mailboxes/${other.id as string}/credentials`)
      .set('Authorization', admin)
      .set(https)
      .send({ userName: 'contoso\\creds', password: 'S3cret!' })
      .expect(409);
    expect(refused.body.violations).toEqual([
      expect.objectContaining({ field: 'credentials', rule: 'onlyWithUserOrQueueCredentials' }),
    ]);
    const audit = await http()
      .get(`/api/v1/audit/mailboxes/${m.id as string}`)
      .set('Authorization', admin);
    expect(JSON.stringify(audit.body)).not.toContain('S3cret!');
  });

  it('privileges: 401 without a token, 403 naming the missing privilege, and nothing changes', async () => {
    const target = await provision({ kind: 'User', name: 'Guarded', emailAddress: 'guarded@contoso.com' });
    const ids = { mailboxIds: [target.id] };
    const before = { mailbox: await eventCount(ns, 'mailbox'), job: await eventCount(ns, 'job') };

    await http().get('/api/v1/mailboxes').expect(401);
    await http().post('/api/v1/mailboxes/approve-email').send(ids).expect(401);
    await http().get('/api/v1/mailboxes').set('Authorization', 'Bearer nope').expect(401);

    const writer = as([Privilege.MailboxRead, Privilege.MailboxWrite]);
    const denied = await http()
      .post('/api/v1/mailboxes/approve-email')
      .set('Authorization', writer)
      .send(ids)
      .expect(403);
    expect(denied.body).toMatchObject({
      missingPrivileges: ['ApproveEmail'],
      message: 'missing privilege ApproveEmail',
    });

    const reader = as([Privilege.MailboxRead]);
    await http()
      .get(`/api/v1/mailboxes/${target.id as string}`)
      .set('Authorization', reader)
      .expect(200);
    await http().get('/api/v1/mailboxes').set('Authorization', reader).expect(200);
    const write = await http()
      .post('/api/v1/mailboxes')
      .set('Authorization', reader)
      .send({ kind: 'User', name: 'x' })
      .expect(403);
    expect(write.body.missingPrivileges).toEqual(['MailboxWrite']);
    await http()
      .patch(`/api/v1/mailboxes/${target.id as string}`)
      .set('Authorization', reader)
      .send({ name: 'y' })
      .expect(403);
    await http().post('/api/v1/mailboxes/test-and-enable').set('Authorization', reader).send(ids).expect(403);

    // M-7: delivery methods and profiles also need the email settings admin privilege.
    const methods = await http()
      .patch(`/api/v1/mailboxes/${target.id as string}`)
      .set('Authorization', writer)
      .send({ incomingEmailDeliveryMethod: 'ServerSideSync' })
      .expect(403);
    expect(methods.body.missingPrivileges).toEqual(['EmailSettingsAdmin']);
    await http()
      .post('/api/v1/mailboxes/bulk-edit')
      .set('Authorization', writer)
      .send({ ...ids, changes: { actDeliveryMethod: 'Outlook' } })
      .expect(403);
    await http().put('/api/v1/organization/email-settings').set('Authorization', writer).send({}).expect(403);
    await http()
      .post('/api/v1/email-server-profiles')
      .set('Authorization', writer)
      .send(profileBody)
      .expect(403);

    expect(await eventCount(ns, 'mailbox')).toBe(before.mailbox);
    expect(await eventCount(ns, 'job')).toBe(before.job);

    // The approver may approve; the event names the approver.
    const approver = as([Privilege.ApproveEmail], 'approver-1');
    const started = await http()
      .post('/api/v1/mailboxes/approve-email')
      .set('Authorization', approver)
      .send(ids)
      .expect(202);
    await jobCompleted(api, started.body.jobId as string, { timeoutMs: 20000 });
    const m = await mailbox(target.id as string, 2);
    expect(m.emailAddressStatus).toBe('Approved');
    const audit = await eventually(
      async () => {
        const res = await http()
          .get(`/api/v1/audit/mailboxes/${target.id as string}`)
          .set('Authorization', admin);
        return res.body.events?.length >= 2 ? res : null;
      },
      30000,
      'audit with the approval',
    );
    expect(audit.body.events[1]).toMatchObject({ type: 'MailboxEmailApproved', actor: 'approver-1' });

    // Reject Email takes the same privilege; an unknown job is a 404.
    const rejected = await http()
      .post('/api/v1/mailboxes/reject-email')
      .set('Authorization', approver)
      .send(ids)
      .expect(202);
    await jobCompleted(api, rejected.body.jobId as string, { timeoutMs: 20000 });
    expect((await mailbox(target.id as string, 3)).emailAddressStatus).toBe('Rejected');
    await http().get('/api/v1/jobs/no-such-job').set('Authorization', admin).expect(404);
  });

  it('invalid input gets 400/422 naming the problem and leaves no event', async () => {
    const existing = await provision({
      kind: 'Queue',
      name: 'Existing',
      emailAddress: 'existing@contoso.com',
    });
    const before = { mailbox: await eventCount(ns, 'mailbox'), job: await eventCount(ns, 'job') };
    const post = (path: string, body: unknown) =>
      http()
        .post(`/api/v1/mailboxes${path}`)
        .set('Authorization', admin)
        .send(body as object);

    const unknownProfile = await post('', {
      kind: 'User',
      name: 'x',
      serverProfileId: 'no-such-profile',
    }).expect(422);
    expect(unknownProfile.body.violations).toEqual([
      expect.objectContaining({ field: 'serverProfileId', rule: 'profileExists' }),
    ]);
    const badAddress = await post('', { kind: 'User', name: 'x', emailAddress: 'not an address' }).expect(
      400,
    );
    expect(badAddress.body.violations).toEqual([
      expect.objectContaining({ field: 'emailAddress', rule: 'email' }),
    ]);
    const badEnum = await post('', {
      kind: 'Robot',
      name: 'x',
      incomingEmailDeliveryMethod: 'Pigeon',
    }).expect(400);
    expect(
      badEnum.body.violations.map((v: { field: string; rule: string }) => `${v.field}:${v.rule}`).sort(),
    ).toEqual(['incomingEmailDeliveryMethod:enum', 'kind:enum']);
    const tooMany = await post('/approve-email', {
      mailboxIds: Array.from({ length: 10_001 }, (_, i) => `m-${i}`),
    }).expect(400);
    expect(tooMany.body.violations).toEqual([
      expect.objectContaining({ field: 'mailboxIds', rule: 'maxItems' }),
    ]);
    const dup = await post('/approve-email', { mailboxIds: [existing.id, existing.id] }).expect(400);
    expect(dup.body.violations).toEqual([expect.objectContaining({ field: 'mailboxIds', rule: 'unique' })]);
    const unknown = await post('/approve-email', { mailboxIds: [existing.id, 'no-such-mailbox'] }).expect(
      422,
    );
    expect(unknown.body.unknownMailboxIds).toEqual(['no-such-mailbox']);
    const badChange = await post('/bulk-edit', {
      mailboxIds: [existing.id],
      changes: { serverProfileId: 'no-such-profile' },
    }).expect(422);
    expect(badChange.body.violations).toEqual([
      expect.objectContaining({ field: 'changes.serverProfileId', rule: 'profileExists' }),
    ]);
    await post('/bulk-edit', { mailboxIds: [existing.id], changes: { actDeliveryMethod: 'Fax' } }).expect(
      400,
    );
    await post('/bulk-edit', { mailboxIds: [existing.id], changes: {} }).expect(400);
    await http()
      .put('/api/v1/organization/email-settings')
      .set('Authorization', admin)
      .send({ outgoingEmailDeliveryMethod: 'ForwardMailbox' })
      .expect(400);
    await http()
      .patch(`/api/v1/mailboxes/${existing.id as string}`)
      .set('Authorization', admin)
      .send({ emailAddress: 'still not@valid' })
      .expect(400);

    expect(await eventCount(ns, 'mailbox')).toBe(before.mailbox);
    expect(await eventCount(ns, 'job')).toBe(before.job);
  });

  it('asOf returns the state as it was, against a recorded sequence of changes', async () => {
    const m = await provision({ kind: 'User', name: 'Time 0', emailAddress: 'time@contoso.com' });
    const id = m.id as string;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const recorded: { at: string; name: string; emailAddressStatus: string; version: number }[] = [];
    await sleep(30);
    recorded.push({
      at: new Date().toISOString(),
      name: 'Time 0',
      emailAddressStatus: 'PendingApproval',
      version: 1,
    });
    for (let i = 1; i <= 3; i++) {
      await sleep(30);
      const res = await http()
        .patch(`/api/v1/mailboxes/${id}`)
        .set('Authorization', admin)
        .send({ name: `Time ${i}` })
        .expect(200);
      await sleep(30);
      recorded.push({
        at: new Date().toISOString(),
        name: `Time ${i}`,
        emailAddressStatus: 'PendingApproval',
        version: res.body.version as number,
      });
    }
    const job = await runJob('approve-email', { mailboxIds: [id] });
    expect(job.done).toBe(1);
    await sleep(30);
    recorded.push({
      at: new Date().toISOString(),
      name: 'Time 3',
      emailAddressStatus: 'Approved',
      version: 5,
    });
    await mailbox(id, 5);
    // The audit log is its own projection: wait until it holds all five events before asking it the past.
    await eventually(
      async () => {
        const res = await http().get(`/api/v1/audit/mailboxes/${id}`).set('Authorization', admin);
        return res.status === 200 && res.body.events?.length >= 5 ? res : null;
      },
      30000,
      'audit of the mailbox',
    );
    for (const r of recorded) {
      const res = await http()
        .get(`/api/v1/audit/mailboxes/${id}`)
        .query({ asOf: r.at })
        .set('Authorization', admin)
        .expect(200);
      expect(res.body).toMatchObject({
        version: r.version,
        state: { name: r.name, emailAddressStatus: r.emailAddressStatus },
      });
    }
    const before = await http()
      .get(`/api/v1/audit/mailboxes/${id}`)
      .query({ asOf: '2000-01-01T00:00:00Z' })
      .set('Authorization', admin)
      .expect(200);
    expect(before.body).toMatchObject({ version: 0, state: null });
    await http()
      .get(`/api/v1/audit/mailboxes/${id}`)
      .query({ asOf: 'yesterday' })
      .set('Authorization', admin)
      .expect(400);
  });

  it('issue #14: the audit trail pages by cursor, oldest first; a bad limit or cursor is a 400 naming it', async () => {
    const m = await provision({ kind: 'User', name: 'Paged 0', emailAddress: 'paged@contoso.com' });
    const id = m.id as string;
    for (let i = 1; i <= 4; i++)
      await http()
        .patch(`/api/v1/mailboxes/${id}`)
        .set('Authorization', admin)
        .send({ name: `Paged ${i}` })
        .expect(200);
    const audit = (query: Record<string, unknown>) =>
      http().get(`/api/v1/audit/mailboxes/${id}`).query(query).set('Authorization', admin);
    await eventually(
      async () => (await audit({})).body.events?.length === 5,
      30000,
      'the five events in the audit trail',
    );
    const whole = await audit({}).expect(200);
    expect(whole.body.nextCursor).toBeNull();

    const pages: number[][] = [];
    let after: string | undefined;
    do {
      const res = await audit({ limit: 2, ...(after === undefined ? {} : { after }) }).expect(200);
      expect(res.body.aggregateId).toBe(id);
      pages.push(res.body.events.map((e: { sequence: number }) => e.sequence));
      after = (res.body.nextCursor as string | null) ?? undefined;
    } while (after !== undefined);
    expect(pages).toEqual([[1, 2], [3, 4], [5]]);

    // Past the end of a history that exists: an empty last page, not a 404.
    expect((await audit({ after: '5' }).expect(200)).body).toMatchObject({ events: [], nextCursor: null });
    const refused = async (query: Record<string, unknown>, field: string) =>
      expect(
        new Set((await audit(query).expect(400)).body.violations.map((v: { field: string }) => v.field)),
      ).toEqual(new Set([field]));
    await refused({ limit: 0 }, 'limit');
    await refused({ limit: 1001 }, 'limit');
    await refused({ limit: 'many' }, 'limit');
    await refused({ after: 'not-a-cursor' }, 'after');
    await refused({ asOf: new Date().toISOString(), after: '2' }, 'after');
    await http()
      .get('/api/v1/audit/mailboxes/no-such-mailbox')
      .query({ after: '3' })
      .set('Authorization', admin)
      .expect(404);
    // The state as of now folds every event, unpaged.
    expect((await audit({ asOf: new Date().toISOString() }).expect(200)).body).toMatchObject({
      version: 5,
      state: { name: 'Paged 4' },
    });

    const profileId = await createProfile('Paged profile');
    const profilePage = await eventually(async () => {
      const res = await http()
        .get(`/api/v1/audit/email-server-profiles/${profileId}`)
        .query({ limit: 1 })
        .set('Authorization', admin);
      return res.status === 200 ? res : null;
    });
    expect(profilePage.body).toMatchObject({
      events: [{ sequence: 1, type: 'ProfileCreated' }],
      nextCursor: null,
    });
  });

  it('P-14: a profile with mailboxes is deactivated only with a reassignment, which a job carries out', async () => {
    const from = await createProfile('Old profile');
    const to = await createProfile('New profile');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (
          await provision({
            kind: 'User',
            name: `P14 ${i}`,
            emailAddress: `p14-${i}@contoso.com`,
            serverProfileId: from,
            ...SSS,
          })
        ).id as string,
      );
    await mailbox(ids[2]!, 1);
    const refused = await http()
      .post(`/api/v1/email-server-profiles/${from}/deactivate`)
      .set('Authorization', admin)
      .send({})
      .expect(400);
    expect(refused.body.violations).toEqual([expect.objectContaining({ rule: 'requiredWithMailboxes' })]);
    await http()
      .post(`/api/v1/email-server-profiles/${from}/deactivate`)
      .set('Authorization', admin)
      .send({ reassignMailboxesTo: 'no-such-profile' })
      .expect(422);
    const done = await http()
      .post(`/api/v1/email-server-profiles/${from}/deactivate`)
      .set('Authorization', admin)
      .send({ reassignMailboxesTo: to })
      .expect(200);
    expect(done.body.status).toBe('Inactive');
    const jobId = done.body.reassignmentJobId as string;
    await jobCompleted(api, jobId, { timeoutMs: 20000, until: (job) => job.done === 3 });
    for (const id of ids) expect((await mailbox(id, 2)).serverProfileId).toBe(to);
    // A deactivated profile cannot be assigned.
    const assign = await http()
      .patch(`/api/v1/mailboxes/${ids[0]!}`)
      .set('Authorization', admin)
      .send({ serverProfileId: from })
      .expect(422);
    expect(assign.body.violations).toEqual([expect.objectContaining({ rule: 'profileActive' })]);
  });
});
