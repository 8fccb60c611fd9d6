import { randomBytes } from 'node:crypto';
import { EventEnvelope } from '@ssync/messaging';
import { profileDecider, ProfileEvent, ProfileState } from '@ssync/domain';
import {
  deleteTopics,
  dropDatabase,
  dumpDatabase,
  eventually,
  readAllTopicBytes,
  testNamespace,
} from '../support/env';
import { AppProcess, freePort, waitForHttp } from '../support/processes';

const EWS = 'http://127.0.0.1:8085/EWS/Exchange.asmx';

/** The apps as separate processes over real Kafka and the MongoDB-compatible server. */
describe('ssync processes end to end', () => {
  const ns = testNamespace('e2e-core');
  const token = `dev-${randomBytes(16).toString('hex')}`;
  const apps: AppProcess[] = [];
  const responses: string[] = [];
  let port: number;
  let base: string;
  let api: AppProcess;

  function env(extra: Record<string, string> = {}): Record<string, string> {
    // Verbose logging: if anything logged a payload, the secret scan below would find it.
    return {
      ...ns.env,
      SSYNC_DEV_TOKEN: token,
      LOG_LEVEL: 'verbose',
      PORT: String(port),
      ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: '1',
      ...extra,
    };
  }

  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, any> }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    responses.push(text);
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  beforeAll(async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = new AppProcess('api', 'apps/api/src/main.js', env()).start();
    apps.push(
      api,
      new AppProcess('projector', 'apps/projector/src/main.js', env()).start(),
      new AppProcess(
        'sync-worker',
        'apps/sync-worker/src/main.js',
        env({ SSYNC_INSTANCE_ID: 'worker-a' }),
      ).start(),
    );
    await waitForHttp(`${base}/health/ready`, 120000, api);
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    if (process.env.SSYNC_TEST_KEEP !== '1') {
      await dropDatabase(ns);
      await deleteTopics(ns);
    }
  });

  it('the sync worker owns the mailbox partitions', async () => {
    await eventually(
      () => Promise.resolve(/owns (mailbox )?partitions \[0, 1, 2, 3\]( of \S+\.mailbox\.commands)?/.test(apps[2]!.output)),
      60000,
      'worker assignment',
    );
  });

  it('serves the OpenAPI document and its docs page', async () => {
    const doc = await call('GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/email-server-profiles', '/api/v1/email-server-profiles/{id}']),
    );
    const page = await fetch(`${base}/api/docs`);
    expect(page.status).toBe(200);
  });

  it('never shows a password in clear: not in Kafka, MongoDB, the logs or any response', async () => {
    const secret = `Pw-${randomBytes(12).toString('hex')}`;
    const secret2 = `Pw2-${randomBytes(12).toString('hex')}`;
    const outgoing = `Out-${randomBytes(12).toString('hex')}`;
    const created = await call('POST', '/api/v1/email-server-profiles', {
      name: 'Secret holder',
      incomingServerLocation: EWS,
      outgoingServerLocation: EWS,
      authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
      userName: 'CONTOSO\\svc-crm',
      password: secret,
    });
    expect(created.status).toBe(201);
    expect(created.body.passwordSet).toBe(true);
    const id = created.body.id as string;
    expect(
      (
        await call('PATCH', `/api/v1/email-server-profiles/${id}`, {
          password: secret2,
          useSameSettingsForOutgoing: false,
          outgoingUserName: 'CONTOSO\\svc-out',
          outgoingPassword: outgoing,
        })
      ).status,
    ).toBe(200);
    // A refused request that carries a password must not echo it either.
    expect(
      (
        await call('PATCH', `/api/v1/email-server-profiles/${id}`, {
          password: secret,
          maxConcurrentConnections: 0,
        })
      ).status,
    ).toBe(400);
    await call('GET', `/api/v1/email-server-profiles/${id}`);
    await eventually(
      async () => (await call('GET', `/api/v1/audit/email-server-profiles/${id}`)).body?.events?.length === 2,
      30000,
      'audit',
    );

    const needles = [secret, secret2, outgoing];
    const kafka = await readAllTopicBytes(ns);
    expect(kafka.length).toBeGreaterThan(0);
    const mongo = await dumpDatabase(ns);
    expect(mongo.length).toBeGreaterThan(0);
    const logs = apps.map((a) => a.output).join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const needle of needles) {
      expect(kafka.filter((r) => r.bytes.includes(needle)).map((r) => r.topic)).toEqual([]);
      expect(mongo.filter((d) => d.json.includes(needle)).map((d) => d.collection)).toEqual([]);
      expect(logs.includes(needle)).toBe(false);
      expect(responses.filter((r) => r.includes(needle))).toEqual([]);
    }
    // The events do carry the sealed value (so the sync workers can use it), the audit only a marker.
    const event = kafka.find((r) => r.topic === `${ns.prefix}.profile.events` && r.value.includes(id));
    expect(event?.value).toMatch(/"password":"enc:v1:/);
  });

  it('a killed API loses and repeats nothing: the history stays gap-free and replays to the reported state', async () => {
    const created = await call('POST', '/api/v1/email-server-profiles', {
      name: 'Crash test',
      incomingServerLocation: EWS,
      outgoingServerLocation: EWS,
      authenticateUsing: 'WindowsIntegratedAuthentication',
    });
    const id = created.body.id as string;
    const inFlight = Array.from({ length: 40 }, (_, i) =>
      call('PATCH', `/api/v1/email-server-profiles/${id}`, {
        minimumPollingIntervalMinutes: i,
        description: `d${i}`,
      }).catch(() => ({ status: 0, body: null })),
    );
    await new Promise((r) => setTimeout(r, 150));
    const oldApi = api;
    await api.kill9();
    const outcomes = await Promise.all(inFlight);
    const confirmed = outcomes.filter((o) => o.status === 200).map((o) => (o.body?.version as number));

    api = new AppProcess('api', 'apps/api/src/main.js', env()).start();
    apps[0] = api;
    await waitForHttp(`${base}/health/ready`, 120000, api);
    const after = await call('PATCH', `/api/v1/email-server-profiles/${id}`, {
      description: 'after restart',
    });
    expect(after.status).toBe(200);

    const events = (await readAllTopicBytes(ns, { committedOnly: true }))
      .filter((r) => r.topic === `${ns.prefix}.profile.events`)
      .map((r) => ({ ...(JSON.parse(r.value) as EventEnvelope), offset: `${r.partition}@${r.offset}` }))
      .filter((e) => e.aggregateId === id)
      .sort((a, b) => a.sequence - b.sequence);
    if (new Set(events.map((e) => e.sequence)).size !== events.length) {
      process.stderr.write(
        events
          .map(
            (e) =>
              `${e.sequence} ${e.offset} ${e.causationId} ${e.eventId} ${JSON.stringify(e.payload).slice(0, 80)}`,
          )
          .join('\n') + '\n',
      );
      process.stderr.write(
        `PREFIX ${ns.prefix}\nOLD:\n${oldApi.output
          .split('\n')
          .filter((l) => /CommandProcessor|writer|crash|ERROR/i.test(l))
          .join('\n')}\nNEW:\n${api.output
          .split('\n')
          .filter((l) => /CommandProcessor|writer|crash|ERROR/i.test(l))
          .join('\n')}\n`,
      );
    }
    // Gap-free and each sequence once, however many commands died with the process.
    expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    expect(new Set(events.map((e) => e.causationId)).size).toBe(events.length);
    // Every update the API confirmed is in the log.
    for (const v of confirmed) expect(events[v - 1]).toBeDefined();
    expect(after.body.version).toBe(events.length);
    const replayed = events.reduce<ProfileState>(
      (s, e) => profileDecider.evolve(s, { type: e.type, data: e.payload } as ProfileEvent),
      profileDecider.initialState(),
    );
    if (replayed.status === 'None') throw new Error('no profile replayed');
    expect(replayed.settings.description).toBe('after restart');
    // The read model converges on the same state.
    const final = await eventually(
      async () => {
        const res = await call('GET', `/api/v1/email-server-profiles/${id}`);
        return res.body?.version === events.length ? res : null;
      },
      30000,
      'projection',
    );
    expect(final.body.description).toBe('after restart');
    expect(final.body.minimumPollingIntervalMinutes).toBe(replayed.settings.minimumPollingIntervalMinutes);
  });
});
