import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { loadCoreConfig } from '@ssync/common';
import { ACTIVITY_LIMITS, ActivityCommand, MailboxCommand, incomingEmailActivityId } from '@ssync/domain';
import {
  CommandResult,
  EventEnvelope,
  KafkaCommandGateway,
  createKafka,
  decodeEvent,
} from '@ssync/messaging';
import { ReadModels, project } from '@ssync/read-models';
import { Privilege, TokenService } from '@ssync/security';
import { rebuildReadModels } from '../../apps/projector/src/rebuild';
import { ActivityOwner } from '../../apps/sync-worker/src/activity-owner';
import { eventCount, eventually, readAllTopicBytes, testNamespace } from '../support/env';
import { OpenApiConformance } from '../support/openapi';
import {
  InProcessStack,
  startActivityOwner,
  startInProcessStack,
  stopInProcessStack,
} from '../support/stack';
import { bearerToken } from '../support/tokens';
import { EWS, SSS } from '../support/fixtures';

const DEV_TOKEN = 'dev-token-activities-int-test';

interface Alert {
  id: string;
  userId: string;
  level: string;
  message: string;
  mailboxId?: string;
  profileId?: string;
  firstSeenAt: string;
  lastSeenAt: string;
  count: number;
  dismissed: boolean;
}

describe('email activities, tracking ledger and alerts (Kafka + MongoDB)', () => {
  const ns = testNamespace('activities');
  let stack: InProcessStack;
  let activityOwner: ActivityOwner;
  let gateway: KafkaCommandGateway;
  const admin = `Bearer ${DEV_TOKEN}`;
  const http = () => request(stack.url);
  const as = (privileges: Privilege[], userId: string) =>
    bearerToken(stack.app.get(TokenService), userId, privileges);
  let profileId: string;
  let mailboxId: string;

  beforeAll(async () => {
    stack = await startInProcessStack(ns, {
      SSYNC_DEV_TOKEN: DEV_TOKEN,
      LOG_LEVEL: process.env.DEBUG_LOG_LEVEL ?? 'warn',
    });
    activityOwner = await startActivityOwner(ns);
    gateway = stack.app.get(KafkaCommandGateway);

    const profile = await http()
      .post('/api/v1/email-server-profiles')
      .set('Authorization', admin)
      .send({
        name: 'Contoso Exchange',
        autoDiscoverServerLocation: false,
        incomingServerLocation: EWS,
        outgoingServerLocation: EWS,
        authenticateUsing: 'WindowsIntegratedAuthentication',
        ownerId: 'u-prof',
      })
      .expect(201);
    profileId = profile.body.id as string;
    const mailbox = await http()
      .post('/api/v1/mailboxes')
      .set('Authorization', admin)
      .send({
        kind: 'User',
        name: 'Ada Lovelace',
        emailAddress: 'ada@contoso.com',
        ownerId: 'u-ada',
        serverProfileId: profileId,
        ...SSS,
      })
      .expect(201);
    mailboxId = mailbox.body.id as string;
    await http()
      .get(`/api/v1/mailboxes/${mailboxId}`)
      .set('Authorization', admin)
      .set('X-Min-Version', '1')
      .expect(200);
  });

  afterAll(async () => {
    await activityOwner?.stop();
    await stopInProcessStack(ns, stack);
  });

  async function send<C>(
    aggregateType: 'activity' | 'mailbox',
    aggregateId: string,
    command: C & { type: string; commandId: string; issuedAt: string },
  ): Promise<CommandResult> {
    return gateway.send({
      aggregateType,
      aggregateId,
      type: command.type,
      actor: 'sync-worker:test',
      command,
      commandId: command.commandId,
      issuedAt: command.issuedAt,
    });
  }

  let conformance: OpenApiConformance | undefined;
  /** `res` is as the API's document says for `method path`: the console is typed from it. */
  const documented = async (method: string, path: string, res: request.Response) => {
    conformance ??= new OpenApiConformance((await http().get('/api/openapi.json').expect(200)).body);
    expect(
      conformance.problems(method, path, { status: res.status, headers: res.headers, body: res.body }),
    ).toEqual([]);
    return res;
  };

  const activity = async (id: string, minVersion: number) =>
    (
      await documented(
        'get',
        '/api/v1/email-activities/{id}',
        await http()
          .get(`/api/v1/email-activities/${id}`)
          .set('Authorization', admin)
          .set('X-Min-Version', String(minVersion))
          .expect(200),
      )
    ).body as Record<string, unknown>;

  it('queues an outgoing email over HTTP (202, PendingSend) and records its send outcomes once', async () => {
    const body = {
      mailboxId,
      direction: 'Outgoing',
      to: ['bob@fabrikam.com'],
      cc: ['carol@fabrikam.com'],
      subject: 'Our offer',
      body: '<p>Dear Bob</p>',
    };
    const queued = await http().post('/api/v1/email-activities').set('Authorization', admin).send(body);
    expect(queued.status).toBe(202);
    await documented('post', '/api/v1/email-activities', queued);
    expect(queued.body).toMatchObject({
      mailboxId,
      direction: 'Outgoing',
      status: 'PendingSend',
      from: 'ada@contoso.com',
      to: ['bob@fabrikam.com'],
      cc: ['carol@fabrikam.com'],
      subject: 'Our offer',
      body: '<p>Dear Bob</p>',
      bodyType: 'HTML',
      sentAt: null,
      exchangeItemId: null,
      attempt: 0,
      version: 1,
    });
    const id = queued.body.id as string;
    expect(queued.headers.location).toBe(`/api/v1/email-activities/${id}`);
    const openapi = await http().get('/api/openapi.json').expect(200);
    expect(Object.keys(openapi.body.paths as object)).toEqual(
      expect.arrayContaining([
        '/api/v1/email-activities',
        '/api/v1/email-activities/{id}',
        '/api/v1/mailboxes/{id}/ledger',
        '/api/v1/users/{userId}/alerts',
        '/api/v1/users/{userId}/alerts/{alertId}/dismiss',
      ]),
    );
    expect(await activity(id, 1)).toMatchObject({ status: 'PendingSend', body: '<p>Dear Bob</p>' });
    const listed = await http()
      .get(`/api/v1/email-activities?mailboxId=${mailboxId}&direction=Outgoing&status=PendingSend`)
      .set('Authorization', admin)
      .expect(200);
    await documented('get', '/api/v1/email-activities', listed);
    expect(listed.body.items.map((a: { id: string }) => a.id)).toEqual([id]);

    // The same Idempotency-Key queues one email.
    const keyed = () =>
      http()
        .post('/api/v1/email-activities')
        .set('Authorization', admin)
        .set('Idempotency-Key', 'k-1')
        .send(body);
    const first = await keyed();
    const second = await keyed();
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers['idempotent-replayed']).toBe('true');

    // Two workers claim the first send attempt at once: the activity's one writer gives it to one of them.
    const claim = (claimant: string) =>
      send('activity', id, {
        type: 'ClaimSend',
        commandId: randomUUID(),
        actor: 'sync-worker:test',
        issuedAt: new Date().toISOString(),
        activityId: id,
        attempt: 1,
        claimant,
        claimUntil: new Date(Date.now() + 60_000).toISOString(),
      } satisfies ActivityCommand);
    const claims = await Promise.all([claim('worker-a#1'), claim('worker-b#1')]);
    expect(claims.filter((c) => c.accepted)).toHaveLength(1);
    const holder = claims[0].accepted ? 'worker-a#1' : 'worker-b#1';
    const refused = claims.find((c) => !c.accepted)!;
    expect(refused.error).toMatchObject({ kind: 'conflict' });
    expect(refused.error?.message).toContain(`claimed by ${holder} until`);
    expect((await claim(holder)).events.map((e) => e.type)).toEqual(['OutgoingEmailSendClaimed']);
    // The claims are the workers' business: the view only moves its version (API contract unchanged).
    const claimed = await activity(id, 3);
    expect(claimed).toMatchObject({ status: 'PendingSend', attempt: 0, version: 3 });
    expect(claimed).not.toHaveProperty('claim');

    // The worker's outcomes: a transient failure schedules a retry; the retry is sent; repeats change nothing.
    const outcome = (
      attempt: number,
      o: Extract<ActivityCommand, { type: 'RecordSendOutcome' }>['outcome'],
    ) =>
      send('activity', id, {
        type: 'RecordSendOutcome',
        commandId: randomUUID(),
        actor: 'sync-worker:test',
        issuedAt: new Date().toISOString(),
        activityId: id,
        attempt,
        outcome: o,
      } satisfies ActivityCommand);
    const failed = await outcome(1, { kind: 'Failed', reason: 'ErrorServerBusy', transient: true });
    expect(failed.events.map((e) => e.type)).toEqual(['OutgoingEmailSendFailed']);
    expect(await activity(id, 4)).toMatchObject({
      status: 'PendingSend',
      attempt: 1,
      failureReason: 'ErrorServerBusy',
    });
    const sentAt = new Date().toISOString();
    const sent = await outcome(2, {
      kind: 'Sent',
      exchangeItemId: 'AAMk-sent',
      internetMessageId: '<s1@contoso.com>',
      sentAt,
    });
    expect(sent.events.map((e) => e.type)).toEqual(['OutgoingEmailSent']);
    const again = await outcome(2, {
      kind: 'Sent',
      exchangeItemId: 'AAMk-sent',
      internetMessageId: '<s1@contoso.com>',
      sentAt,
    });
    expect(again.accepted).toBe(true);
    expect(again.events).toEqual([]);
    expect(await activity(id, 5)).toMatchObject({
      status: 'Sent',
      sentAt,
      exchangeItemId: 'AAMk-sent',
      internetMessageId: '<s1@contoso.com>',
      attempt: 2,
      failureReason: null,
    });
  });

  it('refuses bad requests naming the field, and needs MailboxWrite to queue', async () => {
    const base = { mailboxId, direction: 'Outgoing', to: ['bob@fabrikam.com'], subject: 's', body: 'b' };
    const post = (b: Record<string, unknown>, auth = admin) =>
      http().post('/api/v1/email-activities').set('Authorization', auth).send(b);
    const bad = await post({ ...base, to: ['bob@fabrikam.com', 'not an address'], cc: ['x@'] });
    expect(bad.status).toBe(400);
    expect(bad.body.violations.map((v: { field: string }) => v.field)).toEqual(['to[1]', 'cc[0]']);
    const incoming = await post({ ...base, direction: 'Incoming' });
    expect(incoming.status).toBe(400);
    expect(incoming.body.violations[0]).toMatchObject({ field: 'direction', rule: 'enum' });
    const long = await post({ ...base, subject: 'x'.repeat(401), bodyType: 'Rtf' });
    expect(long.status).toBe(400);
    expect(long.body.violations.map((v: { field: string }) => v.field).sort()).toEqual([
      'bodyType',
      'subject',
    ]);
    // Issue #14: recipients are counted at the edge, one violation however many addresses there are.
    const many = (n: number, at: string) => Array.from({ length: n }, (_, i) => `r${i}@${at}`);
    const tooManyTo = await post({ ...base, to: many(501, 'fabrikam.com') });
    expect(tooManyTo.status).toBe(400);
    expect(tooManyTo.body.violations).toEqual([
      { field: 'to', rule: 'maxItems', message: 'must have at most 500 addresses (to and cc together)' },
    ]);
    const tooManyTogether = await post({ ...base, to: many(300, 'x'), cc: many(201, 'y') });
    expect(tooManyTogether.status).toBe(400);
    expect(tooManyTogether.body.violations).toEqual([
      expect.objectContaining({ field: 'cc', rule: 'maxItems' }),
    ]);
    expect(tooManyTogether.body.message).toBe(
      'cc: to and cc together must have at most 500 addresses; they have 501',
    );
    const missing = await post({ ...base, mailboxId: 'no-such-mailbox' });
    expect(missing.status).toBe(404);
    expect(missing.body.violations[0]).toMatchObject({ field: 'mailboxId', rule: 'mailboxExists' });
    const reader = as([Privilege.MailboxRead], 'u-reader');
    expect((await post(base, reader)).status).toBe(403);
    expect((await http().get('/api/v1/email-activities').set('Authorization', reader)).status).toBe(200);
    expect((await http().get('/api/v1/email-activities').set('Authorization', as([], 'u-none'))).status).toBe(
      403,
    );

    // A deactivated mailbox cannot send.
    const other = await http()
      .post('/api/v1/mailboxes')
      .set('Authorization', admin)
      .send({ kind: 'Queue', name: 'Old queue', emailAddress: 'old@contoso.com', ownerId: 'team-1' })
      .expect(201);
    await http()
      .post(`/api/v1/mailboxes/${other.body.id}/deactivate`)
      .set('Authorization', admin)
      .expect(200);
    await http()
      .get(`/api/v1/mailboxes/${other.body.id}`)
      .set('Authorization', admin)
      .set('X-Min-Version', '2')
      .expect(200);
    const inactive = await post({ ...base, mailboxId: other.body.id });
    expect(inactive.status).toBe(422);
    expect(inactive.body.violations[0]).toMatchObject({ field: 'mailboxId', rule: 'mailboxActive' });
  });

  it('tracks an incoming message once however often it is sent, and ledgers what was not tracked', async () => {
    const internetMessageId = `<${randomUUID()}@fabrikam.com>`;
    const id = incomingEmailActivityId(mailboxId, internetMessageId, 'AAMk-in-1');
    const track = (): Promise<CommandResult> =>
      send('activity', id, {
        type: 'TrackIncomingEmail',
        commandId: randomUUID(),
        actor: 'sync-worker:test',
        issuedAt: new Date().toISOString(),
        activityId: id,
        mailboxId,
        exchangeItemId: 'AAMk-in-1',
        internetMessageId,
        subject: 'Question',
        from: 'bob@fabrikam.com',
        to: ['ada@contoso.com'],
        cc: [],
        body: 'Hello Ada',
        bodyType: 'Text',
        receivedAt: '2026-03-01T09:00:00+01:00',
      } satisfies ActivityCommand);
    const [a, b] = await Promise.all([track(), track()]);
    const third = await track();
    expect([a, b, third].map((r) => r.accepted)).toEqual([true, true, true]);
    expect([a, b, third].flatMap((r) => r.events.map((e) => e.type))).toEqual(['IncomingEmailTracked']);
    // The log holds one event for the activity (the audit trail is a projection of every event).
    const audit = new ReadModels(stack.projectorConnection).at(stack.projector.activeVersion()!).audit;
    await eventually(
      async () => (await audit.countDocuments({ aggregateId: id }).exec()) >= 1,
      20000,
      'audit',
    );
    expect(await audit.countDocuments({ aggregateType: 'activity', aggregateId: id }).exec()).toBe(1);
    expect(await activity(id, 1)).toMatchObject({
      id,
      mailboxId,
      direction: 'Incoming',
      status: 'Tracked',
      subject: 'Question',
      from: 'bob@fabrikam.com',
      to: ['ada@contoso.com'],
      body: 'Hello Ada',
      receivedAt: '2026-03-01T08:00:00.000Z',
      exchangeItemId: 'AAMk-in-1',
      internetMessageId,
    });
    const incoming = await http()
      .get(`/api/v1/email-activities?mailboxId=${mailboxId}&direction=Incoming`)
      .set('Authorization', admin)
      .expect(200);
    expect(incoming.body.items.map((x: { id: string }) => x.id)).toEqual([id]);

    // A message that cannot be tracked: refused with the field, then ledgered as moved to Undeliverable.
    const bigId = incomingEmailActivityId(mailboxId, '<big@fabrikam.com>', 'AAMk-big');
    const tooLong = await send('activity', bigId, {
      type: 'TrackIncomingEmail',
      commandId: randomUUID(),
      actor: 'sync-worker:test',
      issuedAt: new Date().toISOString(),
      activityId: bigId,
      mailboxId,
      exchangeItemId: 'AAMk-big',
      internetMessageId: '<big@fabrikam.com>',
      subject: 'x'.repeat(401),
      from: 'bob@fabrikam.com',
      to: [],
      cc: [],
      body: '',
      bodyType: 'Text',
      receivedAt: '2026-03-01T09:00:00Z',
    } satisfies ActivityCommand);
    expect(tooLong.accepted).toBe(false);
    expect(tooLong.error?.violations.map((v) => v.field)).toEqual(['subject']);
    const moved = await send('activity', bigId, {
      type: 'RecordMessageOutcome',
      commandId: randomUUID(),
      actor: 'sync-worker:test',
      issuedAt: '2026-03-01T10:00:00.000Z',
      activityId: bigId,
      mailboxId,
      exchangeItemId: 'AAMk-big',
      internetMessageId: '<big@fabrikam.com>',
      outcome: 'MovedToUndeliverable',
      reason: 'subject: must have at most 400 characters',
    } satisfies ActivityCommand);
    expect(moved.events.map((e) => e.type)).toEqual(['MessageOutcomeRecorded']);

    const ledger = await eventually(
      async () => {
        const res = await http().get(`/api/v1/mailboxes/${mailboxId}/ledger`).set('Authorization', admin);
        return res.status === 200 && res.body.items.length === 2
          ? (res.body.items as Record<string, unknown>[])
          : null;
      },
      20000,
      'ledger',
    );
    expect(ledger.find((l) => l.activityId === id)).toMatchObject({
      outcome: 'Tracked',
      tracked: true,
      internetMessageId,
      seen: 1,
    });
    expect(ledger.find((l) => l.activityId === bigId)).toMatchObject({
      outcome: 'MovedToUndeliverable',
      tracked: false,
      reason: 'subject: must have at most 400 characters',
    });
    const one = await http()
      .get(`/api/v1/mailboxes/${mailboxId}/ledger?outcome=MovedToUndeliverable&limit=1`)
      .set('Authorization', admin)
      .expect(200);
    expect(one.body).toMatchObject({ items: [{ activityId: bigId }], nextCursor: null });
    await http().get('/api/v1/mailboxes/nope/ledger').set('Authorization', admin).expect(404);
  });

  it('tracks a message with the largest body an activity holds (~3 MB of UTF-8) end to end', async () => {
    const body = '€'.repeat(ACTIVITY_LIMITS.body);
    const id = incomingEmailActivityId(mailboxId, '<large@fabrikam.com>', 'AAMk-large');
    const tracked = await send('activity', id, {
      type: 'TrackIncomingEmail',
      commandId: randomUUID(),
      actor: 'sync-worker:test',
      issuedAt: new Date().toISOString(),
      activityId: id,
      mailboxId,
      exchangeItemId: 'AAMk-large',
      internetMessageId: '<large@fabrikam.com>',
      subject: 'Large',
      from: 'bob@fabrikam.com',
      to: ['ada@contoso.com'],
      cc: [],
      body,
      bodyType: 'Text',
      receivedAt: '2026-03-01T07:00:00Z',
    } satisfies ActivityCommand);
    expect(tracked.events.map((e) => e.type)).toEqual(['IncomingEmailTracked']);
    const view = await activity(id, 1);
    expect((view.body as string).length).toBe(ACTIVITY_LIMITS.body);
    expect(view.body === body).toBe(true);
  });

  it('shows the arrival-to-tracked latency of a mailbox (B-5)', async () => {
    const receivedAt = new Date(Date.now() - 4000).toISOString();
    const id = incomingEmailActivityId(mailboxId, '<fresh@fabrikam.com>', 'AAMk-fresh');
    const tracked = await send('activity', id, {
      type: 'TrackIncomingEmail',
      commandId: randomUUID(),
      actor: 'sync-worker:test',
      issuedAt: new Date().toISOString(),
      activityId: id,
      mailboxId,
      exchangeItemId: 'AAMk-fresh',
      internetMessageId: '<fresh@fabrikam.com>',
      subject: 'Fresh',
      from: 'bob@fabrikam.com',
      to: ['ada@contoso.com'],
      cc: [],
      body: 'now',
      bodyType: 'Text',
      receivedAt,
    } satisfies ActivityCommand);
    expect(tracked.events).toHaveLength(1);
    await activity(id, 1);
    const latency = await http()
      .get(`/api/v1/mailboxes/${mailboxId}/tracking-latency?hours=1`)
      .set('Authorization', admin)
      .expect(200);
    expect(latency.body).toMatchObject({ mailboxId, count: 1 });
    expect(latency.body.p50Ms).toBeGreaterThanOrEqual(4000);
    expect(latency.body.p95Ms).toBe(latency.body.p50Ms);
    expect(latency.body.lastTrackedAt >= receivedAt).toBe(true);
    const bad = await http()
      .get(`/api/v1/mailboxes/${mailboxId}/tracking-latency?hours=0`)
      .set('Authorization', admin);
    expect(bad.status).toBe(400);
    expect(bad.body.violations[0]).toMatchObject({ field: 'hours' });
  });

  it('raises alerts from Test & Enable outcomes, bumps repeats, and dismisses', async () => {
    const mailboxCommand = (command: Record<string, unknown>) =>
      send('mailbox', mailboxId, {
        commandId: randomUUID(),
        actor: 'sync-worker:test',
        issuedAt: new Date().toISOString(),
        mailboxId,
        ...command,
      } as MailboxCommand);
    expect((await mailboxCommand({ type: 'ApproveEmail' })).accepted).toBe(true);
    const test = async (testId: string) => {
      const r = await send('mailbox', mailboxId, {
        type: 'RequestTest',
        commandId: testId,
        actor: 'admin',
        issuedAt: new Date().toISOString(),
        mailboxId,
        approvalRequired: true,
      } satisfies MailboxCommand);
      expect(r.events.map((e) => e.type)).toEqual(['TestRequested']);
    };
    const result = (testId: string, attempt: number, incoming: 'ok' | 'busy') =>
      mailboxCommand({
        type: 'RecordTestResult',
        testId,
        attempt,
        results: {
          incomingEmail:
            incoming === 'ok'
              ? { outcome: 'Success' }
              : {
                  outcome: 'Failure',
                  reason: 'ErrorServerBusy: the server is busy',
                  errorClass: 'Transient',
                },
          // A retry tests only the areas that failed transiently.
          ...(attempt === 0 ? { outgoingEmail: { outcome: 'Success' }, act: { outcome: 'Success' } } : {}),
        },
      });
    const wall = async (userId: string, query = '', auth = as([], userId)) => {
      const res = await http().get(`/api/v1/users/${userId}/alerts${query}`).set('Authorization', auth);
      expect(res.status).toBe(200);
      await documented('get', '/api/v1/users/{userId}/alerts', res);
      return res.body.items as Alert[];
    };

    const t1 = randomUUID();
    await test(t1);
    expect((await result(t1, 0, 'ok')).events.map((e) => e.type)).toEqual(['MailboxTestCompleted']);
    const info = await eventually(
      async () => (await wall('u-ada')).find((a) => a.level === 'Information'),
      20000,
      'success alert',
    );
    expect(info).toMatchObject({
      userId: 'u-ada',
      message:
        'Mailbox "Ada Lovelace" <ada@contoso.com> was tested and enabled for incoming email and outgoing email. Appointments, contacts and tasks: not synchronized by this version, not enabled.',
      mailboxId,
      profileId,
      count: 1,
      dismissed: false,
    });
    expect(info.firstSeenAt).toBe(info.lastSeenAt);
    expect(await wall('u-prof')).toEqual([]);

    // A transient failure: a warning for the mailbox owner and the profile owner; the retry's repeat bumps it.
    const t2 = randomUUID();
    await test(t2);
    await result(t2, 0, 'busy');
    const warning = await eventually(
      async () => (await wall('u-ada', '?level=Warning'))[0],
      20000,
      'warning',
    );
    expect(warning.message).toBe(
      'Test & Enable of mailbox "Ada Lovelace" <ada@contoso.com> failed with a transient error and will be retried: incoming email: ErrorServerBusy: the server is busy',
    );
    const forProfileOwner = await eventually(
      async () => (await wall('u-prof')).find((a) => a.level === 'Warning'),
      20000,
      'profile owner warning',
    );
    expect(forProfileOwner).toMatchObject({
      userId: 'u-prof',
      message: warning.message,
      mailboxId,
      profileId,
    });
    // More than half of the profile's mailboxes (1 of 1) failed within the hour: the profile owner is told.
    const wide = (await wall('u-prof')).find((a) => a.level === 'Error');
    expect(wide).toMatchObject({ profileId, count: 1, userId: 'u-prof' });
    expect(wide?.message).toMatch(
      /^More than half of the mailboxes of email server profile "Contoso Exchange" failed within an hour \(1 of 1/,
    );

    await result(t2, 1, 'busy');
    const bumped = await eventually(
      async () => (await wall('u-ada', '?level=Warning')).find((a) => a.id === warning.id && a.count === 2),
      20000,
      'repeat count',
    );
    expect(bumped.firstSeenAt).toBe(warning.firstSeenAt);
    expect(bumped.lastSeenAt >= warning.lastSeenAt).toBe(true);

    // Users see their own wall; administrators anyone's.
    expect(
      (
        await http()
          .get('/api/v1/users/u-ada/alerts')
          .set('Authorization', as([Privilege.MailboxWrite], 'u-bob'))
      ).status,
    ).toBe(403);
    // The mailbox owner is told of the profile-wide failure too, with a copy of their own.
    const adaWall = await wall('u-ada', '', as([Privilege.EmailSettingsAdmin], 'u-admin'));
    expect(adaWall.map((a) => a.level).sort()).toEqual(['Error', 'Information', 'Warning']);
    const adaWide = adaWall.find((a) => a.level === 'Error');
    expect(adaWide).toMatchObject({ userId: 'u-ada', profileId, message: wide?.message });
    expect(adaWide?.id).not.toBe(wide?.id);
    expect((await wall('u-ada', '', admin)).length).toBe(3);

    // Dismiss: a command on the alert's own aggregate; twice is one dismissal.
    const dismiss = () =>
      http().post(`/api/v1/users/u-ada/alerts/${warning.id}/dismiss`).set('Authorization', as([], 'u-ada'));
    const dismissed = await dismiss();
    expect(dismissed.status).toBe(200);
    await documented('post', '/api/v1/users/{userId}/alerts/{alertId}/dismiss', dismissed);
    expect(dismissed.body).toMatchObject({ id: warning.id, dismissed: true, count: 2 });
    // Read-your-writes: the answer comes once the wall shows the dismissal.
    expect((await wall('u-ada', '?dismissed=true')).some((a) => a.id === warning.id)).toBe(true);
    const alertEvents = await eventCount(ns, 'alert');
    expect((await dismiss()).status).toBe(200);
    expect(await eventCount(ns, 'alert')).toBe(alertEvents);
    expect((await wall('u-ada', '?dismissed=false')).map((a) => a.level).sort()).toEqual([
      'Error',
      'Information',
    ]);
    expect(
      (await http().post(`/api/v1/users/u-ada/alerts/a-nope/dismiss`).set('Authorization', admin)).status,
    ).toBe(404);
    expect(
      (
        await http()
          .post(`/api/v1/users/u-ada/alerts/${warning.id}/dismiss`)
          .set('Authorization', as([], 'u-bob'))
      ).status,
    ).toBe(403);

    // The alert repeats after the dismissal: it shows again, count 3.
    await result(t2, 2, 'busy');
    const back = await eventually(
      async () => (await wall('u-ada', '?dismissed=false')).find((a) => a.id === warning.id && a.count === 3),
      20000,
      'repeat after dismissal',
    );
    expect(back.dismissed).toBe(false);

    // S-6: a poll failing permanently disables incoming email and raises an error for both owners.
    const polled = await mailboxCommand({
      type: 'RecordSyncOutcome',
      poll: 0,
      outcome: { kind: 'Failed', errorClass: 'Permanent', reason: 'ErrorAccessDenied: no access' },
      nextSyncDueAt: new Date(Date.now() + 60000).toISOString(),
    });
    expect(polled.events.map((e) => e.type)).toEqual(['MailboxSyncFailed']);
    const disabled =
      'Mailbox "Ada Lovelace" <ada@contoso.com> was disabled for incoming email: ErrorAccessDenied: no access';
    await eventually(
      async () => (await wall('u-ada', '?level=Error')).some((a) => a.message === disabled),
      20000,
      'sync failure alert',
    );
    expect((await wall('u-prof', '?level=Error')).map((a) => a.message)).toContain(disabled);
  });

  it('rebuilds every read model, the new ones included, with the same checksum', async () => {
    // Let the live projector catch up first so "before" is complete.
    await eventually(
      async () =>
        (await http().get('/api/v1/users/u-ada/alerts?level=Warning').set('Authorization', admin)).body
          .items?.[0]?.count === 3,
      20000,
      'projection caught up',
    );
    const core = loadCoreConfig({ ...process.env, ...ns.env }, 'projector');
    const kafka = createKafka({ brokers: core.kafka.brokers, clientId: 'test-rebuild' });
    const readModels = new ReadModels(stack.projectorConnection);
    const version = stack.projector.activeVersion()!;
    const m = readModels.at(version);
    const expected = { activities: 5, ledger: 4, alerts: 5, dismissals: 1 };
    const counts = async () => ({
      activities: await m.emailActivities.countDocuments().exec(),
      ledger: await m.trackingLedger.countDocuments().exec(),
      alerts: await m.alerts.countDocuments().exec(),
      dismissals: await m.alertDismissals.countDocuments().exec(),
    });
    await eventually(
      async () => JSON.stringify(await counts()) === JSON.stringify(expected),
      20000,
      'every document projected',
    );
    expect(await counts()).toEqual(expected);
    const report = await rebuildReadModels(kafka, stack.projectorConnection, core);
    expect(report.after).toEqual(report.before);
    expect(report.match).toBe(true);
    const walls = await http().get('/api/v1/users/u-prof/alerts').set('Authorization', admin).expect(200);
    expect(walls.body.items.map((a: Alert) => a.level).sort()).toEqual(['Error', 'Error', 'Warning']);
  });

  it('projects the log twice, and with the partitions in another order, to the same documents', async () => {
    const byPartition = new Map<string, EventEnvelope[]>();
    for (const r of await readAllTopicBytes(ns, { committedOnly: true })) {
      // The event logs and the operational state (docs/adr/0010), as the projector reads them.
      if (!r.topic.endsWith('.events') && !r.topic.endsWith('.operational')) continue;
      const event = decodeEvent(Buffer.from(r.value, 'utf8'));
      if (!event) continue;
      const key = `${r.topic}:${r.partition}`;
      byPartition.set(key, [...(byPartition.get(key) ?? []), event]);
    }
    const partitions = [...byPartition.values()];
    expect(partitions.flat().some((e) => e.type === 'MailboxTestCompleted')).toBe(true);
    const readModels = new ReadModels(stack.projectorConnection);
    const replay = async (version: number, groups: EventEnvelope[][]) => {
      await readModels.drop(version);
      await readModels.ensureIndexes(version);
      // Small batches, as a consumer may deliver them.
      for (const events of groups)
        for (let i = 0; i < events.length; i += 3)
          await project(readModels.at(version), events.slice(i, i + 3));
      return readModels.checksum(version);
    };
    const forward = await replay(901, partitions);
    const reversed = await replay(902, [...partitions].reverse());
    expect(reversed).toEqual(forward);
    // Twice: every event again, over what is there.
    for (const events of partitions) await project(readModels.at(901), events);
    expect(await readModels.checksum(901)).toEqual(forward);
    // And the live projector, fed in its own order, holds the same.
    expect(await readModels.checksum(stack.projector.activeVersion()!)).toEqual(forward);
    const alerts = await readModels.at(901).alerts.find().lean().exec();
    expect(alerts.map((a) => a.count).sort()).toEqual([1, 1, 1, 3, 3]);
    await readModels.drop(901);
    await readModels.drop(902);
  });
});
