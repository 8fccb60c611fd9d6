import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { OpenAPIObject } from '@nestjs/swagger';
import { PrivilegeClaim, TokenService } from '@ssync/security';
import { ActivityOwner } from '../../apps/sync-worker/src/activity-owner';
import { eventually, testNamespace } from '../support/env';
import {
  InProcessStack,
  startActivityOwner,
  startInProcessStack,
  stopInProcessStack,
} from '../support/stack';
import { bearerToken } from '../support/tokens';
import { EWS, SSS } from '../support/fixtures';

/**
 * Issue #14 item 8: every operation of the API's own OpenAPI document (the live one, so a new route cannot skip
 * this) is called with no token, an expired token, a token without privileges, and a user-level token on someone
 * else's record. An operation the table below does not classify fails the test; so does a row the document no
 * longer has.
 */

const DEV_TOKEN = 'dev-token-authorization-matrix-int-test';
const JWT_SECRET = 'authorization-matrix-int-test-secret-of-48-bytes!!';
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];

/** Real ids: a profile, alice's and bob's mailboxes, a job an admin started, an email of bob's mailbox. */
interface Fixtures {
  profile: string;
  aliceMailbox: string;
  bobMailbox: string;
  job: string;
  bobActivity: string;
}

interface Call {
  url: string;
  body?: object;
}

/** What a user-level caller (alice) gets for someone else's record (bob's), when that is not a 404. */
interface NotA404 {
  status: number;
  reason: string;
  /** Checks the answer further (a list shows only alice's records). */
  check?: (body: unknown, f: Fixtures) => void;
}

interface Row {
  call: (f: Fixtures) => Call;
  /** Privileges of alice's token beyond MailboxRead:User and MailboxWrite:User (organization-only ones). */
  also?: PrivilegeClaim[];
  /**
   * 404 (or 422 for a bulk job, whose out-of-reach ids are ids that name no mailbox): the answer is also
   * compared with the one for an id that names nothing.
   */
  someoneElses: 404 | 422 | NotA404;
  /** What a token without privileges gets, when that is not a 403. */
  withoutPrivileges?: { status: number; reason: string };
}

const organizationOnly = (privilege: string): NotA404 => ({
  status: 403,
  reason: `${privilege} has organization depth only: a user-level token cannot hold it`,
});
const organizationConfiguration: NotA404 = {
  status: 200,
  reason:
    'profiles and the organization settings are organization configuration, not records a user owns: any mailbox reader reads them (docs/adr/0020)',
};
const onlyOwn =
  (what: string, ownerOf: (item: Record<string, unknown>, f: Fixtures) => boolean): NotA404['check'] =>
  (body, f) => {
    const items = (body as { items: Record<string, unknown>[] }).items;
    const others = items.filter((i) => !ownerOf(i, f));
    if (others.length > 0)
      throw new Error(`${what}: the list shows records of others: ${JSON.stringify(others)}`);
  };

/** A body with the fixtures' ids taken out, to compare answers about different ids. */
function withoutIds(body: unknown, ids: Fixtures): string {
  let text = JSON.stringify(body);
  for (const id of Object.values(ids) as string[]) text = text.replaceAll(id, '<id>');
  return text;
}

const MATRIX: Record<string, Row> = {
  'post /api/v1/email-server-profiles': {
    call: () => ({
      url: '/api/v1/email-server-profiles',
      body: { name: 'Another', authenticateUsing: 'WindowsIntegratedAuthentication' },
    }),
    someoneElses: organizationOnly('ProfileAdmin'),
  },
  'get /api/v1/email-server-profiles': {
    call: () => ({ url: '/api/v1/email-server-profiles' }),
    someoneElses: organizationConfiguration,
  },
  'get /api/v1/email-server-profiles/{id}': {
    call: (f) => ({ url: `/api/v1/email-server-profiles/${f.profile}` }),
    someoneElses: organizationConfiguration,
  },
  'patch /api/v1/email-server-profiles/{id}': {
    call: (f) => ({ url: `/api/v1/email-server-profiles/${f.profile}`, body: { description: 'changed' } }),
    someoneElses: organizationOnly('ProfileAdmin'),
  },
  'post /api/v1/email-server-profiles/{id}/deactivate': {
    call: (f) => ({ url: `/api/v1/email-server-profiles/${f.profile}/deactivate`, body: {} }),
    someoneElses: organizationOnly('ProfileAdmin'),
  },
  'post /api/v1/email-server-profiles/{id}/activate': {
    call: (f) => ({ url: `/api/v1/email-server-profiles/${f.profile}/activate` }),
    someoneElses: organizationOnly('ProfileAdmin'),
  },
  'post /api/v1/email-server-profiles/{id}/test-and-enable': {
    call: (f) => ({ url: `/api/v1/email-server-profiles/${f.profile}/test-and-enable` }),
    someoneElses: organizationOnly('ProfileAdmin or EmailSettingsAdmin (every mailbox of the profile)'),
  },
  'get /api/v1/organization/email-settings': {
    call: () => ({ url: '/api/v1/organization/email-settings' }),
    someoneElses: organizationConfiguration,
  },
  'put /api/v1/organization/email-settings': {
    call: (f) => ({
      url: '/api/v1/organization/email-settings',
      body: { defaultServerProfileId: f.profile },
    }),
    someoneElses: organizationOnly('EmailSettingsAdmin'),
  },
  'post /api/v1/mailboxes': {
    call: () => ({ url: '/api/v1/mailboxes', body: { kind: 'User', name: 'For Bob', ownerId: 'bob' } }),
    someoneElses: {
      status: 403,
      reason: 'a create names no record: at user depth a mailbox can only be made for oneself',
    },
  },
  'get /api/v1/mailboxes': {
    call: () => ({ url: '/api/v1/mailboxes?limit=500' }),
    someoneElses: {
      status: 200,
      reason: "a list names no record: it shows only the caller's mailboxes",
      check: onlyOwn('mailboxes', (m) => m.ownerId === 'alice'),
    },
  },
  'post /api/v1/mailboxes/apply-default-settings': {
    call: (f) => ({ url: '/api/v1/mailboxes/apply-default-settings', body: { mailboxIds: [f.bobMailbox] } }),
    also: ['EmailSettingsAdmin'],
    someoneElses: 422,
  },
  'post /api/v1/mailboxes/bulk-edit': {
    call: (f) => ({
      url: '/api/v1/mailboxes/bulk-edit',
      body: { mailboxIds: [f.bobMailbox], changes: { actDeliveryMethod: 'ServerSideSync' } },
    }),
    also: ['EmailSettingsAdmin'],
    someoneElses: 422,
  },
  'post /api/v1/mailboxes/approve-email': {
    call: (f) => ({ url: '/api/v1/mailboxes/approve-email', body: { mailboxIds: [f.bobMailbox] } }),
    someoneElses: organizationOnly('ApproveEmail'),
  },
  'post /api/v1/mailboxes/reject-email': {
    call: (f) => ({ url: '/api/v1/mailboxes/reject-email', body: { mailboxIds: [f.bobMailbox] } }),
    someoneElses: organizationOnly('ApproveEmail'),
  },
  'post /api/v1/mailboxes/test-and-enable': {
    call: (f) => ({ url: '/api/v1/mailboxes/test-and-enable', body: { mailboxIds: [f.bobMailbox] } }),
    someoneElses: 422,
  },
  'post /api/v1/mailboxes/deactivate': {
    call: (f) => ({ url: '/api/v1/mailboxes/deactivate', body: { mailboxIds: [f.bobMailbox] } }),
    someoneElses: 422,
  },
  'get /api/v1/mailboxes/{id}': {
    call: (f) => ({ url: `/api/v1/mailboxes/${f.bobMailbox}` }),
    someoneElses: 404,
  },
  'patch /api/v1/mailboxes/{id}': {
    call: (f) => ({ url: `/api/v1/mailboxes/${f.bobMailbox}`, body: { name: 'Renamed' } }),
    someoneElses: 404,
  },
  'put /api/v1/mailboxes/{id}/credentials': {
    call: (f) => ({
      url: `/api/v1/mailboxes/${f.bobMailbox}/credentials`,
      body: { userName: 'CONTOSO\\bob', password: 'not-a-real-password' },
    }),
    someoneElses: 404,
  },
  'post /api/v1/mailboxes/{id}/deactivate': {
    call: (f) => ({ url: `/api/v1/mailboxes/${f.bobMailbox}/deactivate` }),
    someoneElses: 404,
  },
  'get /api/v1/mailboxes/{id}/ledger': {
    call: (f) => ({ url: `/api/v1/mailboxes/${f.bobMailbox}/ledger` }),
    someoneElses: 404,
  },
  'get /api/v1/mailboxes/{id}/tracking-latency': {
    call: (f) => ({ url: `/api/v1/mailboxes/${f.bobMailbox}/tracking-latency` }),
    someoneElses: 404,
  },
  'get /api/v1/jobs/{id}': {
    call: (f) => ({ url: `/api/v1/jobs/${f.job}` }),
    someoneElses: 404,
  },
  'get /api/v1/audit/email-server-profiles/{id}': {
    call: (f) => ({ url: `/api/v1/audit/email-server-profiles/${f.profile}` }),
    someoneElses: organizationConfiguration,
  },
  'get /api/v1/audit/mailboxes/{id}': {
    call: (f) => ({ url: `/api/v1/audit/mailboxes/${f.bobMailbox}` }),
    someoneElses: 404,
  },
  'get /api/v1/email-activities': {
    call: () => ({ url: '/api/v1/email-activities?limit=200' }),
    someoneElses: {
      status: 200,
      reason: "a list names no record: it shows only the activities of the caller's mailboxes",
      check: onlyOwn('email activities', (a, f) => a.mailboxId === f.aliceMailbox),
    },
  },
  'post /api/v1/email-activities': {
    call: (f) => ({
      url: '/api/v1/email-activities',
      body: {
        mailboxId: f.bobMailbox,
        direction: 'Outgoing',
        to: ['carol@fabrikam.com'],
        subject: 'Hello',
        body: 'Hi',
      },
    }),
    someoneElses: 404,
  },
  'get /api/v1/email-activities/{id}': {
    call: (f) => ({ url: `/api/v1/email-activities/${f.bobActivity}` }),
    someoneElses: 404,
  },
  'get /api/v1/users/{userId}/alerts': {
    call: () => ({ url: '/api/v1/users/bob/alerts' }),
    someoneElses: {
      status: 403,
      reason:
        "a user's own wall or EmailSettingsAdmin (organization-only): named by a user id, not a record id, so nothing is probed",
    },
  },
  'post /api/v1/users/{userId}/alerts/{alertId}/dismiss': {
    call: () => ({ url: '/api/v1/users/bob/alerts/some-alert/dismiss' }),
    someoneElses: {
      status: 403,
      reason: "a user's own wall or EmailSettingsAdmin (organization-only), as its list",
    },
  },
  'get /api/v1/session': {
    call: () => ({ url: '/api/v1/session' }),
    withoutPrivileges: {
      status: 200,
      reason: 'who the caller is: any valid token may ask, privileges or not',
    },
    someoneElses: { status: 200, reason: 'names no record: the caller themself' },
  },
  'get /api/v1/service-alerts': {
    call: () => ({ url: '/api/v1/service-alerts' }),
    someoneElses: organizationOnly('EmailSettingsAdmin'),
  },
};

describe('authorization matrix: every route of the OpenAPI document (Kafka + MongoDB)', () => {
  const ns = testNamespace('authz');
  let stack: InProcessStack;
  let activityOwner: ActivityOwner;
  let document: OpenAPIObject;
  let f: Fixtures;
  /** The same ids, naming nothing. */
  const missing: Fixtures = {
    profile: randomUUID(),
    aliceMailbox: randomUUID(),
    bobMailbox: randomUUID(),
    job: randomUUID(),
    bobActivity: randomUUID(),
  };
  const admin = `Bearer ${DEV_TOKEN}`;
  const http = () => request(stack.url);
  const token = (userId: string, privileges: PrivilegeClaim[], now = Date.now) =>
    bearerToken(new TokenService({ jwtSecret: Buffer.from(JWT_SECRET), now }), userId, privileges);
  const aliceUserLevel = (also: PrivilegeClaim[] = []) =>
    token('alice', ['MailboxRead:User', 'MailboxWrite:User', ...also]);

  const send = (method: Method, call: Call, auth?: string) => {
    let req = http()[method](call.url);
    if (auth !== undefined) req = req.set('Authorization', auth);
    return call.body === undefined ? req : req.send(call.body);
  };

  const operations = (): { key: string; method: Method; row: Row }[] =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      METHODS.flatMap((method) => {
        const key = `${method} ${path}`;
        const row = MATRIX[key];
        return item[method] && row ? [{ key, method, row }] : [];
      }),
    );

  beforeAll(async () => {
    stack = await startInProcessStack(ns, {
      SSYNC_DEV_TOKEN: DEV_TOKEN,
      SSYNC_JWT_SECRET: JWT_SECRET,
      LOG_LEVEL: process.env.DEBUG_LOG_LEVEL ?? 'warn',
    });
    activityOwner = await startActivityOwner(ns);
    document = (await http().get('/api/openapi.json').expect(200)).body as OpenAPIObject;

    const profile = await http()
      .post('/api/v1/email-server-profiles')
      .set('Authorization', admin)
      .send({
        name: 'Contoso Exchange',
        autoDiscoverServerLocation: false,
        incomingServerLocation: EWS,
        outgoingServerLocation: EWS,
        authenticateUsing: 'WindowsIntegratedAuthentication',
      })
      .expect(201);
    await http()
      .put('/api/v1/organization/email-settings')
      .set('Authorization', admin)
      .send({ defaultServerProfileId: profile.body.id, ...SSS })
      .expect(200);
    const provision = async (ownerId: string) =>
      (
        await http()
          .post('/api/v1/mailboxes')
          .set('Authorization', admin)
          .send({
            kind: 'User',
            name: ownerId,
            emailAddress: `${ownerId}@contoso.com`,
            ownerId,
            serverProfileId: profile.body.id,
            ...SSS,
          })
          .expect(201)
      ).body.id as string;
    const [aliceMailbox, bobMailbox] = [await provision('alice'), await provision('bob')];
    const job = (
      await http()
        .post('/api/v1/mailboxes/approve-email')
        .set('Authorization', admin)
        .send({ mailboxIds: [bobMailbox] })
        .expect(202)
    ).body.jobId as string;
    const bobActivity = (
      await http()
        .post('/api/v1/email-activities')
        .set('Authorization', admin)
        .send({ ...MATRIX['post /api/v1/email-activities']!.call({ bobMailbox } as Fixtures).body })
        .expect(202)
    ).body.id as string;
    f = { profile: profile.body.id as string, aliceMailbox, bobMailbox, job, bobActivity };
    // The read models the requests below read: the activity, and both mailboxes' and the profile's history.
    await eventually(
      async () =>
        (await http().get(`/api/v1/email-activities/${bobActivity}`).set('Authorization', admin)).status ===
          200 &&
        (await http().get(`/api/v1/audit/mailboxes/${bobMailbox}`).set('Authorization', admin)).status ===
          200 &&
        (await http().get(`/api/v1/audit/mailboxes/${aliceMailbox}`).set('Authorization', admin)).status ===
          200 &&
        (await http().get(`/api/v1/audit/email-server-profiles/${f.profile}`).set('Authorization', admin))
          .status === 200,
      30000,
      'read models caught up',
    );
  }, 180_000);

  afterAll(async () => {
    await activityOwner?.stop();
    await stopInProcessStack(ns, stack);
  });

  it('classifies every operation of the document, and nothing it does not have', () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m] !== undefined).map((m) => `${m} ${path}`),
    );
    expect(documented.filter((k) => MATRIX[k] === undefined)).toEqual([]);
    expect(Object.keys(MATRIX).filter((k) => !documented.includes(k))).toEqual([]);
  });

  it('answers 401 without a token, and 401 to an expired one', async () => {
    const expired = token('alice', ['SystemAdmin'], () => Date.now() - 3_600_000);
    const wrong: string[] = [];
    for (const { key, method, row } of operations()) {
      const none = await send(method, row.call(f));
      if (none.status !== 401) wrong.push(`${key} without a token: ${none.status}`);
      const old = await send(method, row.call(f), expired);
      if (old.status !== 401 || !/expired/.test(String(old.body.message)))
        wrong.push(`${key} with an expired token: ${old.status} ${JSON.stringify(old.body)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('answers 403 to a token without privileges (but where the table says why not)', async () => {
    const nobody = token('nobody', []);
    const wrong: string[] = [];
    for (const { key, method, row } of operations()) {
      const res = await send(method, row.call(f), nobody);
      const expected = row.withoutPrivileges?.status ?? 403;
      if (res.status !== expected)
        wrong.push(`${key}: ${res.status}, expected ${expected}: ${JSON.stringify(res.body)}`);
    }
    expect(wrong).toEqual([]);
  });

  it("answers a user-level token on someone else's record as if the record did not exist", async () => {
    const wrong: string[] = [];
    await Promise.all(
      operations().map(async ({ key, method, row }) => {
        const auth = aliceUserLevel(row.also);
        const res = await send(method, row.call(f), auth);
        const expected = typeof row.someoneElses === 'number' ? row.someoneElses : row.someoneElses.status;
        if (res.status !== expected) {
          wrong.push(`${key}: ${res.status}, expected ${expected}: ${JSON.stringify(res.body)}`);
          return;
        }
        if (typeof row.someoneElses === 'number') {
          // The same request on ids that name nothing: the same answer, but for the id.
          const none = await send(method, row.call(missing), auth);
          const seen = withoutIds(res.body, f);
          const unseen = withoutIds(none.body, missing);
          if (none.status !== res.status || seen !== unseen)
            wrong.push(`${key}: someone else's record ${seen} but a missing one ${none.status} ${unseen}`);
        } else {
          try {
            row.someoneElses.check?.(res.body, f);
          } catch (err) {
            wrong.push(`${key}: ${(err as Error).message}`);
          }
        }
      }),
    );
    expect(wrong.sort()).toEqual([]);
  }, 120_000);

  it('lets a user-level reader see their own mailbox and what hangs off it, and nothing of another', async () => {
    const reader = token('alice', ['MailboxRead:User']);
    const get = (url: string, auth = reader) => http().get(url).set('Authorization', auth);

    const list = await get('/api/v1/mailboxes?limit=500').expect(200);
    expect(list.body.items.map((m: { id: string }) => m.id)).toEqual([f.aliceMailbox]);
    expect((await get('/api/v1/mailboxes?ownerId=bob').expect(200)).body.items).toEqual([]);
    await get(`/api/v1/mailboxes/${f.aliceMailbox}`).expect(200);
    await get(`/api/v1/mailboxes/${f.aliceMailbox}/ledger`).expect(200);
    await get(`/api/v1/audit/mailboxes/${f.aliceMailbox}`).expect(200);

    for (const url of [
      `/api/v1/mailboxes/${f.bobMailbox}`,
      `/api/v1/mailboxes/${f.bobMailbox}/ledger`,
      `/api/v1/audit/mailboxes/${f.bobMailbox}`,
      `/api/v1/email-activities/${f.bobActivity}`,
    ]) {
      const res = await get(url);
      expect({ url, status: res.status }).toEqual({ url, status: 404 });
    }
    const activities = await get(`/api/v1/email-activities?mailboxId=${f.bobMailbox}`).expect(200);
    expect(activities.body.items).toEqual([]);

    // A bare privilege is organization depth, as every token issued before depths meant.
    const orgReader = token('alice', ['MailboxRead']);
    await get(`/api/v1/mailboxes/${f.bobMailbox}`, orgReader).expect(200);
    const all = await get('/api/v1/email-activities', orgReader).expect(200);
    expect(all.body.items.map((a: { id: string }) => a.id)).toContain(f.bobActivity);
  });

  it('lets a user-level writer change and test their own mailbox, and follow the job they started', async () => {
    const writer = token('alice', ['MailboxRead:User', 'MailboxWrite:User']);
    await http()
      .patch(`/api/v1/mailboxes/${f.aliceMailbox}`)
      .set('Authorization', writer)
      .send({ name: 'Alice Smith' })
      .expect(200);
    const started = await http()
      .post('/api/v1/mailboxes/test-and-enable')
      .set('Authorization', writer)
      .send({ mailboxIds: [f.aliceMailbox] })
      .expect(202);
    await eventually(
      async () =>
        (await http().get(`/api/v1/jobs/${started.body.jobId}`).set('Authorization', writer)).status === 200,
      10000,
      "alice's own job",
    );
    // Someone else's mailbox is refused as the mailbox's writer refuses one that does not exist.
    const orgWriter = token('carol', ['MailboxWrite']);
    for (const path of ['', '/deactivate']) {
      const patch = path === '';
      const call = (id: string, auth: string) =>
        patch
          ? http().patch(`/api/v1/mailboxes/${id}`).set('Authorization', auth).send({ name: 'X' })
          : http().post(`/api/v1/mailboxes/${id}${path}`).set('Authorization', auth);
      const outOfReach = await call(f.bobMailbox, writer);
      const notThere = await call(missing.bobMailbox, orgWriter);
      expect([outOfReach.status, withoutIds(outOfReach.body, f)]).toEqual([
        404,
        withoutIds(notThere.body, missing),
      ]);
    }
    // Her own mailbox, and only that: bob's was not renamed by the matrix above.
    const bob = await http().get(`/api/v1/mailboxes/${f.bobMailbox}`).set('Authorization', admin).expect(200);
    expect(bob.body).toMatchObject({ name: 'bob', status: 'Active', ownerId: 'bob' });
  });
});
