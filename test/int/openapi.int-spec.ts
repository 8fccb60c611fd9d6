import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';
import request from 'supertest';
import { Privilege, TokenService } from '@ssync/security';
import { eventually, testNamespace } from '../support/env';
import { OpenApiConformance } from '../support/openapi';
import { InProcessStack, startInProcessStack, stopInProcessStack } from '../support/stack';
import { bearerToken } from '../support/tokens';
import { EWS, SSS } from '../support/fixtures';

const DEV_TOKEN = 'dev-token-openapi-int-test';
const PROFILE = {
  name: 'Contoso Exchange',
  autoDiscoverServerLocation: false,
  incomingServerLocation: EWS,
  outgoingServerLocation: EWS,
  authenticateUsing: 'WindowsIntegratedAuthentication',
};
// Short enough to wait for, long enough for a loaded two-core machine to answer every other command.
const COMMAND_TIMEOUT_MS = 10_000;

/** A TCP relay to the database, so a test can take the database away from this API alone and give it back. */
class DatabaseRelay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  /** The target's URI, through the relay. */
  uri(): string {
    const uri = new URL(this.target.toString());
    uri.host = `127.0.0.1:${this.port}`;
    uri.searchParams.set('directConnection', 'true');
    return uri.toString();
  }

  async open(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port || 27017), this.target.hostname);
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(a);
        a.on('error', () => a.destroy());
        a.on('close', () => {
          this.sockets.delete(a);
          b.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Every connection reset, and no new ones until `open` again (same port). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

/**
 * Issue #13: real requests, against the API on real Kafka and MongoDB, produce each kind of error the document
 * names (and the 201/200 of a retried create); each status must be documented for its operation, and each body
 * and required header must be as documented there.
 */
describe('the OpenAPI document describes what the API really answers', () => {
  const ns = testNamespace('openapi');
  const relay = new DatabaseRelay(new URL(ns.mongoUri));
  let stack: InProcessStack;
  let conformance: OpenApiConformance;
  const answered = new Set<number>();
  const admin = `Bearer ${DEV_TOKEN}`;
  const http = () => request(stack.url);
  const tokenFor = (userId: string, privileges: Privilege[]) =>
    bearerToken(stack.app.get(TokenService), userId, privileges);

  /** `res` must be documented for `method path` (a path template of the document). */
  function conforms(method: string, path: string, res: request.Response): request.Response {
    expect(
      conformance.problems(method, path, { status: res.status, headers: res.headers, body: res.body }),
    ).toEqual([]);
    answered.add(res.status);
    return res;
  }

  let profileId: string;
  let mailboxId: string;

  beforeAll(async () => {
    await relay.open();
    stack = await startInProcessStack(ns, {
      SSYNC_DEV_TOKEN: DEV_TOKEN,
      MONGODB_URI: relay.uri(),
      SSYNC_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
    });
    conformance = new OpenApiConformance((await http().get('/api/openapi.json').expect(200)).body);
  });

  afterAll(async () => {
    await relay.open();
    await stopInProcessStack(ns, stack);
    await relay.cut();
  });

  it('serves a document that marks no header parameter required', () => {
    const required = conformance.operations().flatMap(({ method, path, operation }) =>
      conformance
        .headerParameters(operation)
        .filter((p) => p.required === true)
        .map((p) => `${method} ${path}: ${p.name}`),
    );
    expect(required).toEqual([]);
  });

  it('a create answers 201, and 200 with the same resource when retried with its Idempotency-Key', async () => {
    const createProfile = () =>
      http()
        .post('/api/v1/email-server-profiles')
        .set('Authorization', admin)
        .set('Idempotency-Key', 'p-1')
        .send(PROFILE);
    const created = conforms('post', '/api/v1/email-server-profiles', await createProfile());
    expect(created.status).toBe(201);
    const again = conforms('post', '/api/v1/email-server-profiles', await createProfile());
    expect([again.status, again.body.id, again.headers['idempotent-replayed']]).toEqual([
      200,
      created.body.id,
      'true',
    ]);
    profileId = created.body.id as string;

    const provision = () =>
      http()
        .post('/api/v1/mailboxes')
        .set('Authorization', admin)
        .set('Idempotency-Key', 'm-1')
        .send({
          kind: 'User',
          name: 'Ada',
          emailAddress: 'ada@contoso.com',
          serverProfileId: profileId,
          ...SSS,
        });
    const provisioned = conforms('post', '/api/v1/mailboxes', await provision());
    expect(provisioned.status).toBe(201);
    const reprovisioned = conforms('post', '/api/v1/mailboxes', await provision());
    expect([reprovisioned.status, reprovisioned.body.id]).toEqual([200, provisioned.body.id]);
    mailboxId = provisioned.body.id as string;
    conforms(
      'get',
      '/api/v1/mailboxes/{id}',
      await http()
        .get(`/api/v1/mailboxes/${mailboxId}`)
        .set('Authorization', admin)
        .set('X-Min-Version', '1'),
    );
  });

  it('the success bodies the console reads are as documented: profiles, settings, mailboxes, jobs', async () => {
    const as = <T extends request.Test>(t: T) => t.set('Authorization', admin);
    conforms('get', '/api/v1/email-server-profiles', await as(http().get('/api/v1/email-server-profiles')));
    const changed = conforms(
      'patch',
      '/api/v1/email-server-profiles/{id}',
      await as(http().patch(`/api/v1/email-server-profiles/${profileId}`)).send({ description: 'Seen' }),
    );
    expect(changed.status).toBe(200);
    conforms(
      'get',
      '/api/v1/email-server-profiles/{id}',
      await as(http().get(`/api/v1/email-server-profiles/${profileId}`)).set(
        'X-Min-Version',
        String(changed.body.version),
      ),
    );
    const spare = await as(http().post('/api/v1/email-server-profiles')).send({ ...PROFILE, name: 'Spare' });
    for (const step of ['deactivate', 'activate'])
      expect(
        conforms(
          'post',
          `/api/v1/email-server-profiles/{id}/${step}`,
          await as(http().post(`/api/v1/email-server-profiles/${spare.body.id}/${step}`)).send({}),
        ).status,
      ).toBe(200);

    const settings = '/api/v1/organization/email-settings';
    conforms('get', settings, await as(http().get(settings)));
    conforms(
      'put',
      settings,
      await as(http().put(settings)).send({ defaultServerProfileId: profileId, ...SSS }),
    );

    conforms(
      'get',
      '/api/v1/mailboxes',
      await as(http().get(`/api/v1/mailboxes?serverProfileId=${profileId}`)),
    );
    const approve = conforms(
      'post',
      '/api/v1/mailboxes/approve-email',
      await as(http().post('/api/v1/mailboxes/approve-email')).send({ mailboxIds: [mailboxId] }),
    );
    expect(approve.status).toBe(202);
    let started!: request.Response;
    await eventually(
      async () => {
        // The profile's mailboxes come from the read model, which may not show the new one yet.
        started = await as(http().post(`/api/v1/email-server-profiles/${profileId}/test-and-enable`));
        return started.status === 202;
      },
      10000,
      'Test & Enable of the profile started',
    );
    conforms('post', '/api/v1/email-server-profiles/{id}/test-and-enable', started);
    const job = conforms(
      'get',
      '/api/v1/jobs/{id}',
      await as(http().get(`/api/v1/jobs/${started.body.jobId}`)),
    );
    expect(job.body.tests).toEqual(expect.objectContaining({ requested: expect.any(Number) }));
  });

  it("the success bodies of a mailbox's detail are as documented: ledger, latency, audit pages and as-of", async () => {
    const as = <T extends request.Test>(t: T) => t.set('Authorization', admin);
    conforms(
      'get',
      '/api/v1/mailboxes/{id}/ledger',
      await as(http().get(`/api/v1/mailboxes/${mailboxId}/ledger`)),
    );
    const latency = conforms(
      'get',
      '/api/v1/mailboxes/{id}/tracking-latency',
      await as(http().get(`/api/v1/mailboxes/${mailboxId}/tracking-latency?hours=2&buckets=4`)),
    );
    expect(latency.body.series).toHaveLength(4);
    const audit = '/api/v1/audit/mailboxes/{id}';
    const page = await eventually(async () => {
      const res = await as(http().get(`/api/v1/audit/mailboxes/${mailboxId}?limit=1`));
      return res.status === 200 ? res : null;
    });
    conforms('get', audit, page);
    conforms(
      'get',
      audit,
      await as(http().get(`/api/v1/audit/mailboxes/${mailboxId}?asOf=${new Date().toISOString()}`)),
    );
    conforms(
      'get',
      audit,
      await as(http().get(`/api/v1/audit/mailboxes/${mailboxId}?asOf=2000-01-01T00:00:00Z`)),
    );
    conforms(
      'get',
      '/api/v1/audit/email-server-profiles/{id}',
      await as(http().get(`/api/v1/audit/email-server-profiles/${profileId}`)),
    );
  });

  it('the success bodies of the session, the email activity list and alerts are as documented', async () => {
    const as = <T extends request.Test>(t: T) => t.set('Authorization', admin);
    const session = conforms('get', '/api/v1/session', await as(http().get('/api/v1/session')));
    expect(session.body).toEqual({
      userId: 'dev-admin',
      name: expect.any(String),
      privileges: expect.any(Array),
      userDepth: [],
    });
    // Queued and sent email bodies are checked where a sync worker sends them (activities.int-spec.ts).
    conforms(
      'get',
      '/api/v1/email-activities',
      await as(http().get(`/api/v1/email-activities?mailboxId=${mailboxId}`)),
    );
    conforms('get', '/api/v1/users/{userId}/alerts', await as(http().get('/api/v1/users/dev-admin/alerts')));
    conforms('get', '/api/v1/service-alerts', await as(http().get('/api/v1/service-alerts')));
  });

  it('401 without a bearer token, or with one that is not valid', async () => {
    const anonymous = await http().get('/api/v1/email-server-profiles');
    expect(conforms('get', '/api/v1/email-server-profiles', anonymous).status).toBe(401);
    const forged = await http()
      .post('/api/v1/mailboxes/approve-email')
      .set('Authorization', 'Bearer not-a-token')
      .send({ mailboxIds: [mailboxId] });
    expect(conforms('post', '/api/v1/mailboxes/approve-email', forged).status).toBe(401);
  });

  it('403 from the guard and from the privilege checks inside handlers', async () => {
    const reader = tokenFor('reader', [Privilege.MailboxRead]);
    const cases: [string, string, request.Test][] = [
      // the guard: ProfileAdmin
      [
        'post',
        '/api/v1/email-server-profiles',
        http().post('/api/v1/email-server-profiles').set('Authorization', reader).send(PROFILE),
      ],
      // any one of ProfileAdmin and MailboxRead
      [
        'get',
        '/api/v1/email-server-profiles',
        http()
          .get('/api/v1/email-server-profiles')
          .set('Authorization', tokenFor('approver', [Privilege.ApproveEmail])),
      ],
      // the user themself, or EmailSettingsAdmin
      [
        'get',
        '/api/v1/users/{userId}/alerts',
        http().get('/api/v1/users/someone-else/alerts').set('Authorization', reader),
      ],
    ];
    for (const [method, path, req] of cases) expect(conforms(method, path, await req).status).toBe(403);
  });

  it('400 for a rule broken by the body, a path or query parameter, a header, or the JSON itself', async () => {
    const cases: [string, string, request.Test][] = [
      [
        'post',
        '/api/v1/email-server-profiles',
        http()
          .post('/api/v1/email-server-profiles')
          .send({ ...PROFILE, colour: 'red' }),
      ],
      [
        'get',
        '/api/v1/email-server-profiles/{id}',
        http().get('/api/v1/email-server-profiles/not%20an%20id'),
      ],
      ['get', '/api/v1/mailboxes', http().get('/api/v1/mailboxes').query({ limit: 'many' })],
      [
        'get',
        '/api/v1/email-server-profiles/{id}',
        http().get(`/api/v1/email-server-profiles/${profileId}`).set('X-Min-Version', 'latest'),
      ],
      [
        'post',
        '/api/v1/email-server-profiles',
        http().post('/api/v1/email-server-profiles').set('Idempotency-Key', 'k'.repeat(201)).send(PROFILE),
      ],
      [
        'patch',
        '/api/v1/email-server-profiles/{id}',
        http()
          .patch(`/api/v1/email-server-profiles/${profileId}`)
          .set('Content-Type', 'application/json')
          .send('{"name":'),
      ],
    ];
    for (const [method, path, req] of cases)
      expect(conforms(method, path, await req.set('Authorization', admin)).status).toBe(400);
  });

  it('413 for a body over 2 MB, 415 for one in a charset the API does not read', async () => {
    const big = await http()
      .put('/api/v1/organization/email-settings')
      .set('Authorization', admin)
      .send({ defaultServerProfileId: 'x'.repeat(2.1 * 1024 * 1024) });
    expect(conforms('put', '/api/v1/organization/email-settings', big).status).toBe(413);
    const latin1 = await http()
      .post('/api/v1/mailboxes/test-and-enable')
      .set('Authorization', admin)
      .set('Content-Type', 'application/json; charset=latin1')
      .send(JSON.stringify({ mailboxIds: [mailboxId] }));
    expect(conforms('post', '/api/v1/mailboxes/test-and-enable', latin1).status).toBe(415);
  });

  it('404 for what does not exist, from the read models and from an aggregate', async () => {
    const cases: [string, string, request.Test][] = [
      [
        'get',
        '/api/v1/email-server-profiles/{id}',
        http().get('/api/v1/email-server-profiles/no-such-profile'),
      ],
      [
        'patch',
        '/api/v1/email-server-profiles/{id}',
        http().patch('/api/v1/email-server-profiles/no-such-profile').send({ name: 'n' }),
      ],
      ['get', '/api/v1/audit/mailboxes/{id}', http().get('/api/v1/audit/mailboxes/no-such-mailbox')],
      [
        'post',
        '/api/v1/email-activities',
        http()
          .post('/api/v1/email-activities')
          .send({
            mailboxId: 'no-such-mailbox',
            direction: 'Outgoing',
            to: ['bob@fabrikam.com'],
            subject: 's',
            body: 'b',
          }),
      ],
    ];
    for (const [method, path, req] of cases)
      expect(conforms(method, path, await req.set('Authorization', admin)).status).toBe(404);
  });

  it('409 for a change on a version If-Match does not name', async () => {
    const res = await http()
      .patch(`/api/v1/email-server-profiles/${profileId}`)
      .set('Authorization', admin)
      .set('If-Match', '"99"')
      .send({ name: 'Renamed' });
    expect(conforms('patch', '/api/v1/email-server-profiles/{id}', res).status).toBe(409);
  });

  it('422 for a bulk request naming mailboxes that do not exist', async () => {
    const res = await http()
      .post('/api/v1/mailboxes/approve-email')
      .set('Authorization', admin)
      .send({ mailboxIds: [mailboxId, 'no-such-mailbox'] });
    expect(conforms('post', '/api/v1/mailboxes/approve-email', res).status).toBe(422);
    expect(res.body.unknownMailboxIds).toEqual(['no-such-mailbox']);
  });

  it('504 with Retry-After when a command has no outcome in time', async () => {
    // This stack runs no owner of email activities: the command is sent, and nobody answers.
    const res = await http()
      .post('/api/v1/email-activities')
      .set('Authorization', admin)
      .send({
        mailboxId,
        direction: 'Outgoing',
        to: ['bob@fabrikam.com'],
        subject: 'Offer',
        body: '<p>Hi</p>',
      });
    expect(conforms('post', '/api/v1/email-activities', res).status).toBe(504);
  });

  it('503 with Retry-After while the database cannot be reached', async () => {
    await relay.cut();
    try {
      const res = await http().get('/api/v1/email-server-profiles').set('Authorization', admin);
      expect(conforms('get', '/api/v1/email-server-profiles', res).status).toBe(503);
      expect(res.body.dependency).toBe('mongodb');
    } finally {
      await relay.open();
    }
    await eventually(
      async () =>
        (await http().get('/api/v1/email-server-profiles').set('Authorization', admin)).status === 200,
      60000,
      'the database back',
    );
  });

  it('has now seen every error status the document names', () => {
    const documented = new Set(
      conformance
        .operations()
        .flatMap(({ operation }) => Object.keys(operation.responses).map(Number))
        .filter((s) => s >= 400),
    );
    expect([...documented].filter((s) => !answered.has(s))).toEqual([]);
  });
});
