import request from 'supertest';
import { randomBytes } from 'node:crypto';
import { startSimulator } from '../../apps/exchange-simulator/src/index';
import { runReseal } from '../../apps/api/src/keys/reseal-cli';
import { eventually, readAllTopicBytes, testNamespace } from '../support/env';
import { mailboxJob, supertestCall } from '../support/jobs';
import { InProcessStack, startInProcessStack, stopInProcessStack } from '../support/stack';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
const DEV_TOKEN = 'dev-token-key-rotation-int';
const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('base64');
const SVC_PASSWORD = 'Svc-Rotat10n!';
const BOB_PASSWORD = 'Bob-Rotat10n!';

/**
 * Key rotation to the end (issue #14, docs/adr/0019): credentials sealed under key A; keyring {A, B} with B active;
 * the reseal command; then a keyring of B alone, and Test & Enable against the Exchange simulator still opens both
 * the profile's and the mailbox's credentials.
 */
describe('key rotation: reseal every credential, then remove the old key', () => {
  const ns = testNamespace('keyrot');
  let stack: InProcessStack | null = null;
  let sim: Simulator;
  const auth = `Bearer ${DEV_TOKEN}`;
  const http = () => request(stack!.url);
  const api = supertestCall(http, auth);
  const saved = {
    keys: process.env.SSYNC_ENCRYPTION_KEYS,
    active: process.env.SSYNC_ENCRYPTION_ACTIVE_KEY_ID,
    file: process.env.SSYNC_ENCRYPTION_KEY_FILE,
  };
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, ...ns.env });

  /** The API, projector and a full sync worker, with this keyring (each process reads it from the environment). */
  async function boot(keys: string, active: string): Promise<void> {
    await stack?.stop();
    // Not stopped twice (in afterAll) should the next one fail to start.
    stack = null;
    delete process.env.SSYNC_ENCRYPTION_KEY_FILE;
    process.env.SSYNC_ENCRYPTION_KEYS = keys;
    process.env.SSYNC_ENCRYPTION_ACTIVE_KEY_ID = active;
    stack = await startInProcessStack(
      ns,
      {
        SSYNC_DEV_TOKEN: DEV_TOKEN,
        ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: '1',
        SSYNC_WORKER_TICK_MS: '100',
      },
      { worker: 'full', readyTimeoutMs: 90000 },
    );
  }

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    sim.admin.createAccount({ userName: 'svc-ssync', password: SVC_PASSWORD, domain: 'CONTOSO' });
    for (const who of ['alice', 'bob']) {
      const password = who === 'bob' ? BOB_PASSWORD : 'Passw0rd!';
      sim.admin.createAccount({ userName: who, password, domain: 'CONTOSO' });
      sim.admin.createMailbox({ smtpAddress: `${who}@contoso.test`, displayName: who, ownerUserName: who });
    }
    sim.admin.grantImpersonation({ userName: 'svc-ssync', mailboxes: ['alice@contoso.test'] });
  });

  afterAll(async () => {
    await stopInProcessStack(ns, stack);
    await sim?.close();
    for (const [name, value] of [
      ['SSYNC_ENCRYPTION_KEYS', saved.keys],
      ['SSYNC_ENCRYPTION_ACTIVE_KEY_ID', saved.active],
      ['SSYNC_ENCRYPTION_KEY_FILE', saved.file],
    ] as const)
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  });

  async function auditOf(path: string, type: string): Promise<Record<string, unknown>> {
    return eventually(
      async () => {
        const res = await http().get(`/api/v1/audit/${path}`).set('Authorization', auth);
        const events = (res.body?.events ?? []) as { type: string; payload: Record<string, unknown> }[];
        return events.find((e) => e.type === type)?.payload ?? null;
      },
      30000,
      `${type} in the audit of ${path}`,
    );
  }

  it('reseals under B as events, resumably, and works with key B alone', async () => {
    // 1. Under key A: a profile with its own credentials (alice, impersonated) and a mailbox with its own (bob).
    await boot(`A:${KEY_A}`, 'A');
    const withProfileCredentials = await http()
      .post('/api/v1/email-server-profiles')
      .set('Authorization', auth)
      .send({
        name: 'Rotation: profile credentials',
        incomingServerLocation: sim.ewsUrl,
        outgoingServerLocation: sim.ewsUrl,
        authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
        userName: 'CONTOSO\\svc-ssync',
        password: SVC_PASSWORD,
      })
      .expect(201);
    const withMailboxCredentials = await http()
      .post('/api/v1/email-server-profiles')
      .set('Authorization', auth)
      .send({
        name: 'Rotation: mailbox credentials',
        incomingServerLocation: sim.ewsUrl,
        outgoingServerLocation: sim.ewsUrl,
        authenticateUsing: 'CredentialsSpecifiedByUserOrQueue',
      })
      .expect(201);
    const mailbox = async (who: string, profileId: string): Promise<string> => {
      const res = await http()
        .post('/api/v1/mailboxes')
        .set('Authorization', auth)
        .send({
          kind: 'User',
          name: who,
          emailAddress: `${who}@contoso.test`,
          ownerId: `u-${who}`,
          serverProfileId: profileId,
          incomingEmailDeliveryMethod: 'ServerSideSync',
          outgoingEmailDeliveryMethod: 'None',
          actDeliveryMethod: 'None',
        })
        .expect(201);
      return res.body.id as string;
    };
    const profileId = withProfileCredentials.body.id as string;
    const alice = await mailbox('alice', profileId);
    const bob = await mailbox('bob', withMailboxCredentials.body.id as string);
    await http()
      .put(`/api/v1/mailboxes/${bob}/credentials`)
      .set('Authorization', auth)
      .send({ userName: 'CONTOSO\\bob', password: BOB_PASSWORD })
      .expect(200);

    // 2. Keyring {A, B}, B active: the reseal command, its progress and its report.
    await boot(`A:${KEY_A},B:${KEY_B}`, 'B');
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    const first = await runReseal(env(), { io });
    if (!('report' in first)) throw new Error('expected a report');
    expect(first.report).toMatchObject({
      activeKeyId: 'B',
      total: 2,
      done: 2,
      resealed: 2,
      skipped: 0,
      failed: 0,
      before: { total: 2, byKeyId: { A: 2 }, underOldKeys: 2 },
      after: { total: 2, byKeyId: { B: 2 }, underOldKeys: 0 },
    });
    expect(lines).toContainEqual(expect.stringMatching(/^reseal: 2\/2 \(resealed 2, skipped 0, failed 0\)/));

    // The events, audited with their secrets redacted to the key id.
    expect(await auditOf(`email-server-profiles/${profileId}`, 'ProfileCredentialsResealed')).toEqual({
      profileId,
      keyId: 'B',
      resealed: { password: { sealed: true, keyId: 'B' } },
    });
    expect(await auditOf(`mailboxes/${bob}`, 'MailboxCredentialsResealed')).toEqual({
      mailboxId: bob,
      keyId: 'B',
      password: { sealed: true, keyId: 'B' },
    });
    // A reseal resets no test outcome and moves the profile's version in its view.
    const profile = await http()
      .get(`/api/v1/email-server-profiles/${profileId}`)
      .set('Authorization', auth)
      .expect(200);
    expect(profile.body).toMatchObject({ passwordSet: true, version: 2 });

    // Resumable: a second run finds nothing left; --check says the old key may go.
    const again = await runReseal(env(), {});
    expect('report' in again && again.report).toMatchObject({ total: 0, resealed: 0, failed: 0 });
    expect(await runReseal(env(), { check: true })).toEqual({
      check: { activeKeyId: 'B', total: 2, byKeyId: { B: 2 }, underOldKeys: 0 },
    });

    // No password in clear in any topic.
    const bytes = (await readAllTopicBytes(ns)).map((r) => r.value).join('\n');
    expect(bytes).toContain('ProfileCredentialsResealed');
    expect(bytes).not.toContain(SVC_PASSWORD);
    expect(bytes).not.toContain(BOB_PASSWORD);

    // 3. Key A removed: the API, the projector and the worker start, and Test & Enable opens both credentials.
    await boot(`B:${KEY_B}`, 'B');
    expect(await runReseal(env(), { check: true })).toMatchObject({ check: { byKeyId: { B: 2 } } });
    await mailboxJob(api, 'approve-email', [alice, bob]);
    await mailboxJob(api, 'test-and-enable', [alice, bob]);
    for (const id of [alice, bob]) {
      const tested = await eventually(
        async () => {
          const res = await http().get(`/api/v1/mailboxes/${id}`).set('Authorization', auth);
          return res.status === 200 && !res.body.testPending && res.body.incomingEmailStatus !== 'NotRun'
            ? (res.body as Record<string, unknown>)
            : null;
        },
        60000,
        `Test & Enable of ${id}`,
      );
      expect(tested).toMatchObject({ incomingEmailStatus: 'Success', enabledForIncomingEmail: true });
    }
    expect(
      sim.admin.requestLog({ mailbox: 'bob@contoso.test', operation: 'GetFolder' }).length,
    ).toBeGreaterThan(0);
  });
});
