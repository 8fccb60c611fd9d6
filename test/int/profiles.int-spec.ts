import request from 'supertest';
import { profileDecider, ProfileEvent, ProfileState } from '@ssync/domain';
import { EventEnvelope } from '@ssync/messaging';
import { rebuildReadModels } from '../../apps/projector/src/rebuild';
import { loadCoreConfig } from '@ssync/common';
import { createKafka } from '@ssync/messaging';
import { dropDatabase, eventCount, eventually, readAllTopicBytes, testNamespace } from '../support/env';
import { Privilege, TokenService } from '@ssync/security';
import { InProcessStack, startInProcessStack, stopInProcessStack } from '../support/stack';
import { bearerToken } from '../support/tokens';
import { EWS } from '../support/fixtures';

const valid = {
  name: 'Contoso Exchange',
  autoDiscoverServerLocation: false,
  incomingServerLocation: EWS,
  outgoingServerLocation: EWS,
  authenticateUsing: 'CredentialsSpecifiedByUserOrQueue',
};

describe('email server profiles through Kafka and MongoDB', () => {
  const ns = testNamespace('profiles');
  let stack: InProcessStack;
  // Every call carries the development admin's token (SSYNC_DEV_TOKEN), as scripts do.
  const DEV_TOKEN = 'dev-token-profiles-int-test';
  const http = () => request.agent(stack.url).set('Authorization', `Bearer ${DEV_TOKEN}`);
  // The test client stands for a TLS proxy on loopback, which TRUST_PROXY trusts: its X-Forwarded-Proto says the
  // client used HTTPS (P-6). trust-proxy.int-spec.ts shows the same header from an untrusted peer ignored.
  const https = { 'X-Forwarded-Proto': 'https' };

  beforeAll(async () => {
    stack = await startInProcessStack(ns, {
      SSYNC_DEV_TOKEN: DEV_TOKEN,
      TRUST_PROXY: 'loopback',
      ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: '0',
    });
  });

  afterAll(async () => {
    await stopInProcessStack(ns, stack);
  });

  it('creates, reads, updates, deactivates and reactivates a profile over HTTP', async () => {
    const created = await http().post('/api/v1/email-server-profiles').send(valid).expect(201);
    expect(created.body).toMatchObject({
      ...valid,
      status: 'Active',
      version: 1,
      maxConcurrentConnections: 10,
      minimumPollingIntervalMinutes: 1,
      passwordSet: false,
    });
    expect(created.headers.location).toBe(`/api/v1/email-server-profiles/${created.body.id}`);
    const id = created.body.id as string;

    // Read-your-writes: the read model answers once it holds the version the command returned.
    const read = await http()
      .get(`/api/v1/email-server-profiles/${id}`)
      .set('X-Min-Version', '1')
      .expect(200);
    expect(read.body).toEqual(created.body);

    // The caller's correlation id is echoed, and its command's event carries it (a bad one is replaced).
    const updated = await http()
      .patch(`/api/v1/email-server-profiles/${id}`)
      .set('X-Correlation-Id', 'change-4711')
      .send({ maxConcurrentConnections: 25, description: 'on-prem' })
      .expect(200);
    expect(updated.headers['x-correlation-id']).toBe('change-4711');
    expect(updated.body).toMatchObject({
      version: 2,
      maxConcurrentConnections: 25,
      description: 'on-prem',
      name: valid.name,
    });

    const refused = await http()
      .patch(`/api/v1/email-server-profiles/${id}`)
      .set('X-Correlation-Id', 'not a token/with spaces')
      .set('If-Match', '"1"')
      .send({ maxConcurrentConnections: 30 })
      .expect(409);
    expect(refused.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);

    const deactivated = await http()
      .post(`/api/v1/email-server-profiles/${id}/deactivate`)
      .send({})
      .expect(200);
    expect(deactivated.body).toMatchObject({ status: 'Inactive', version: 3 });
    await http().patch(`/api/v1/email-server-profiles/${id}`).send({ name: 'x' }).expect(409);
    const reactivated = await http().post(`/api/v1/email-server-profiles/${id}/activate`).expect(200);
    expect(reactivated.body).toMatchObject({ status: 'Active', version: 4 });

    const list = await eventually(async () => {
      const res = await http().get('/api/v1/email-server-profiles').query({ q: 'contoso' });
      return res.body.items?.find((p: { id: string; version: number }) => p.id === id && p.version === 4)
        ? res
        : null;
    });
    expect(list.status).toBe(200);

    const audit = await eventually(async () => {
      const res = await http().get(`/api/v1/audit/email-server-profiles/${id}`);
      return res.status === 200 && res.body.events.length === 4 ? res : null;
    });
    expect(audit.body.events.map((e: { type: string; sequence: number }) => [e.sequence, e.type])).toEqual([
      [1, 'ProfileCreated'],
      [2, 'ProfileUpdated'],
      [3, 'ProfileDeactivated'],
      [4, 'ProfileActivated'],
    ]);
    expect(audit.body.events[1]).toMatchObject({ type: 'ProfileUpdated', correlationId: 'change-4711' });
    expect(audit.body.events[0]).toMatchObject({
      actor: 'dev-admin',
      aggregateType: 'profile',
      aggregateId: id,
      schemaVersion: 1,
    });
  });

  it('needs a bearer token (401) and ProfileAdmin to write (403), and changes nothing without them', async () => {
    const before = await eventCount(ns, 'profile');
    const anonymous = request(stack.url);
    await anonymous.get('/api/v1/email-server-profiles').expect(401);
    await anonymous.post('/api/v1/email-server-profiles').send(valid).expect(401);
    const token = (privileges: Privilege[]) =>
      bearerToken(stack.app.get(TokenService), 'reader', privileges, 'Reader');
    const reader = token([Privilege.MailboxRead]);
    await request(stack.url).get('/api/v1/email-server-profiles').set('Authorization', reader).expect(200);
    const denied = await request(stack.url)
      .post('/api/v1/email-server-profiles')
      .set('Authorization', reader)
      .send(valid)
      .expect(403);
    expect(denied.body).toMatchObject({ missingPrivileges: ['ProfileAdmin'] });
    await request(stack.url)
      .get('/api/v1/email-server-profiles')
      .set('Authorization', token([Privilege.ApproveEmail]))
      .expect(403);
    expect(await eventCount(ns, 'profile')).toBe(before);
    // Health stays public.
    await anonymous.get('/health/live').expect(200);
  });

  it('an Idempotency-Key retried gives the same profile once', async () => {
    const key = `create-${Date.now()}`;
    const first = await http()
      .post('/api/v1/email-server-profiles')
      .set('Idempotency-Key', key)
      .send({ ...valid, name: 'Idem' })
      .expect(201);
    const again = await http()
      .post('/api/v1/email-server-profiles')
      .set('Idempotency-Key', key)
      .send({ ...valid, name: 'Idem' })
      .expect(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.version).toBe(1);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  const invalid: [string, Record<string, unknown>, string, string][] = [
    [
      'anonymous authentication',
      { ...valid, authenticateUsing: 'WithoutCredentials' },
      'authenticateUsing',
      'notValidSetting',
    ],
    [
      'auto discover no without locations',
      { name: 'n', autoDiscoverServerLocation: false, authenticateUsing: 'WindowsIntegratedAuthentication' },
      'incomingServerLocation',
      'requiredWithoutAutoDiscover',
    ],
    [
      'locations with auto discover yes',
      { ...valid, autoDiscoverServerLocation: true },
      'incomingServerLocation',
      'forbiddenWithAutoDiscover',
    ],
    [
      'user name with another auth type',
      { ...valid, userName: 'svc', password: 'pw' },
      'userName',
      'onlyWithProfileCredentials',
    ],
    [
      'profile credentials without them',
      { ...valid, authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile' },
      'userName',
      'required',
    ],
    [
      'maxConcurrentConnections 0',
      { ...valid, maxConcurrentConnections: 0 },
      'maxConcurrentConnections',
      'range',
    ],
    [
      'maxConcurrentConnections 301',
      { ...valid, maxConcurrentConnections: 301 },
      'maxConcurrentConnections',
      'range',
    ],
    [
      'minimumPollingIntervalMinutes -1',
      { ...valid, minimumPollingIntervalMinutes: -1 },
      'minimumPollingIntervalMinutes',
      'range',
    ],
    [
      'minimumPollingIntervalMinutes 1441',
      { ...valid, minimumPollingIntervalMinutes: 1441 },
      'minimumPollingIntervalMinutes',
      'range',
    ],
    [
      'a non-integer interval',
      { ...valid, minimumPollingIntervalMinutes: 1.5 },
      'minimumPollingIntervalMinutes',
      'integer',
    ],
    [
      'a string for a number',
      { ...valid, maxConcurrentConnections: '5' },
      'maxConcurrentConnections',
      'integer',
    ],
    ['an unknown field', { ...valid, colour: 'blue' }, 'colour', 'unknownField'],
    ['a malformed URL', { ...valid, incomingServerLocation: 'not a url' }, 'incomingServerLocation', 'url'],
    [
      'an ftp URL',
      { ...valid, incomingServerLocation: 'ftp://mail.contoso.com/EWS' },
      'incomingServerLocation',
      'url',
    ],
    ['an empty name', { ...valid, name: '   ' }, 'name', 'minLength'],
    ['a long name', { ...valid, name: 'x'.repeat(101) }, 'name', 'maxLength'],
    [
      'an unknown protocol',
      { ...valid, incomingAuthenticationProtocol: 'Kerberos' },
      'incomingAuthenticationProtocol',
      'enum',
    ],
    ['a bad processEmailFrom', { ...valid, processEmailFrom: 'yesterday' }, 'processEmailFrom', 'isIso8601'],
    [
      'null for a required boolean',
      { ...valid, autoDiscoverServerLocation: null },
      'autoDiscoverServerLocation',
      'isBoolean',
    ],
  ];

  it.each(invalid)(
    'refuses %s with 400 naming the field and rule, and writes no event',
    async (_what, body, field, rule) => {
      const before = await eventCount(ns, 'profile');
      const res = await http().post('/api/v1/email-server-profiles').set(https).send(body).expect(400);
      expect(res.body.violations).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
      expect(res.body.message).toContain(field);
      expect(await eventCount(ns, 'profile')).toBe(before);
    },
  );

  it('refuses malformed JSON without echoing it', async () => {
    const res = await http()
      .post('/api/v1/email-server-profiles')
      .set('Content-Type', 'application/json')
      .send('{"password": "hunter2-secret", oops}')
      .expect(400);
    expect(res.body.violations[0]).toMatchObject({ field: 'body', rule: 'json' });
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
  });

  it('refuses a bare JSON value as a body, saying it must be an object', async () => {
    const res = await http()
      .post('/api/v1/email-server-profiles')
      .set('Content-Type', 'application/json')
      .send('0')
      .expect(400);
    expect(res.body.violations).toEqual([{ field: 'body', rule: 'json', message: 'must be a JSON object' }]);
  });

  it('refuses a patch that breaks a rule and leaves the profile as it was', async () => {
    const { body } = await http().post('/api/v1/email-server-profiles').send(valid).expect(201);
    const before = await eventCount(ns, 'profile');
    const res = await http()
      .patch(`/api/v1/email-server-profiles/${body.id}`)
      .send({ autoDiscoverServerLocation: true, incomingServerLocation: EWS })
      .expect(400);
    expect(res.body.violations[0]).toMatchObject({
      field: 'incomingServerLocation',
      rule: 'forbiddenWithAutoDiscover',
    });
    expect(await eventCount(ns, 'profile')).toBe(before);
    await http().get(`/api/v1/email-server-profiles/nope`).expect(404);
    await http().patch(`/api/v1/email-server-profiles/nope`).send({ name: 'x' }).expect(404);
    await http().get(`/api/v1/email-server-profiles/bad%20id`).expect(400);
  });

  it('P-6: credentials over plain HTTP are refused unless AllowCredentialsEntryViaNonSecureChannels is 1', async () => {
    const body = {
      ...valid,
      authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
      userName: 'CONTOSO\\svc',
      password: 'pw-p6',
    };
    const plain = await http().post('/api/v1/email-server-profiles').send(body).expect(400);
    expect(plain.body.violations).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'password', rule: 'secureChannelRequired' })]),
    );
    const secure = await http().post('/api/v1/email-server-profiles').set(https).send(body).expect(201);
    expect(secure.body).toMatchObject({ userName: 'CONTOSO\\svc', passwordSet: true });
    expect(secure.body).not.toHaveProperty('password');
  });

  it('50 concurrent updates leave a gap-free history whose replay equals the reported state', async () => {
    const { body } = await http()
      .post('/api/v1/email-server-profiles')
      .send({ ...valid, name: 'Concurrent' })
      .expect(201);
    const id = body.id as string;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        http()
          .patch(`/api/v1/email-server-profiles/${id}`)
          .send({ minimumPollingIntervalMinutes: i + 100, description: `update ${i}` }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const versions = responses.map((r) => r.body.version as number).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));

    const records = await readAllTopicBytes(ns, { committedOnly: true });
    const events = records
      .filter((r) => r.topic === `${ns.prefix}.profile.events`)
      .map((r) => JSON.parse(r.value) as EventEnvelope)
      .filter((e) => e.aggregateId === id)
      .sort((a, b) => a.sequence - b.sequence);
    expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    const replayed = events.reduce<ProfileState>(
      (s, e) => profileDecider.evolve(s, { type: e.type, data: e.payload } as ProfileEvent),
      profileDecider.initialState(),
    );
    const final = await http()
      .get(`/api/v1/email-server-profiles/${id}`)
      .set('X-Min-Version', '51')
      .expect(200);
    expect(final.body.version).toBe(51);
    if (replayed.status === 'None') throw new Error('replay gave no profile');
    expect(final.body.minimumPollingIntervalMinutes).toBe(replayed.settings.minimumPollingIntervalMinutes);
    expect(final.body.description).toBe(replayed.settings.description);
  });

  it('rebuilds the read models from the log with the same checksum, and after the database is dropped', async () => {
    const core = loadCoreConfig({ ...process.env, ...ns.env }, 'projector');
    const kafka = createKafka({ brokers: core.kafka.brokers, clientId: 'test-rebuild' });
    // Let the live projector catch up first so "before" is complete.
    const lastId = (
      await http()
        .post('/api/v1/email-server-profiles')
        .send({ ...valid, name: 'Last' })
        .expect(201)
    ).body.id as string;
    await http().get(`/api/v1/email-server-profiles/${lastId}`).set('X-Min-Version', '1').expect(200);
    const report = await rebuildReadModels(kafka, stack.projectorConnection, core);
    expect(report.before.documents).toBeGreaterThan(0);
    expect(report.after).toEqual(report.before);
    expect(report.match).toBe(true);
    // The query side follows the switch.
    await http().get(`/api/v1/email-server-profiles/${lastId}`).expect(200);

    // Dropping the whole database: the projector notices, replays into a new version, same content.
    await dropDatabase(ns);
    await eventually(
      async () => (await http().get(`/api/v1/email-server-profiles/${lastId}`)).status === 200,
      60000,
      'projection after drop',
    );
    const readModels = new (await import('@ssync/read-models')).ReadModels(stack.projectorConnection);
    const version = stack.projector.activeVersion()!;
    const after = await eventually(
      async () => {
        // Same count is not enough: a document may still be on its way to its last version.
        const sum = await readModels.checksum(version);
        return sum.checksum === report.before.checksum ? sum : null;
      },
      60000,
      'full replay to the same checksum',
    );
    expect(after.checksum).toBe(report.before.checksum);
  });
});
