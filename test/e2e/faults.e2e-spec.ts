import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { EventEnvelope } from '@ssync/messaging';
import { startSimulator } from '../../apps/exchange-simulator/src/index';
import { eventually } from '../support/env';
import { mailboxJob } from '../support/jobs';
import { AppProcess, freePort, waitForHttp } from '../support/processes';
import { ownInfraPorts } from '../../scripts/lib/infra';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
type Reply = { status: number; headers: Headers | null; body: Record<string, any> };

const ROOT = path.resolve(__dirname, '../..');
const OUTAGE_SECONDS = Number(process.env.FAULTS_OUTAGE_SECONDS ?? 40);
const MAILBOXES = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Issue #11's fault suite: a broker and a database of this suite's own (its own ports and state directory, so the
 * other suites' infrastructure is never touched), the API, the projector and a sync worker as processes, mail
 * arriving and email queued throughout. Kafka is SIGKILLed for OUTAGE_SECONDS and started again, then the
 * MongoDB-compatible server, then Exchange answers 503, resets connections and times out. After each, with no one
 * intervening: every process alive and ready; every message tracked once; every queued email sent once; no mailbox
 * disabled. During the database outage reads answer 503 with Retry-After, never 500.
 */
describe('faults: a broker or database outage degrades service, never kills it (issue #11)', () => {
  const suffix = randomBytes(3).toString('hex');
  const stateDir = path.join(ROOT, '.ssync', `faults-${suffix}`);
  const token = `dev-${randomBytes(16).toString('hex')}`;
  const prefix = `t-faults-${suffix}`;
  const apps: AppProcess[] = [];
  let infraEnv: Record<string, string> = {};
  let brokers = '';
  let mongoUri = '';
  let sim: Simulator;
  let base = '';
  const log = (line: string) =>
    process.stderr.write(`[faults ${new Date().toISOString().slice(11, 23)}] ${line}\n`);

  function infra(command: 'up' | 'down'): string {
    // Not the shared infrastructure the global setup named: infra.mjs would reuse it.
    const env: NodeJS.ProcessEnv = { ...process.env, ...infraEnv, SSYNC_INFRA: 'local' };
    delete env.KAFKA_BROKERS;
    delete env.MONGODB_URI;
    const run = spawnSync(process.execPath, [path.join(ROOT, 'scripts/infra.mjs'), command], {
      env,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (run.status !== 0) throw new Error(`infra ${command} failed: ${run.stdout}\n${run.stderr}`);
    return run.stdout;
  }

  const pidOf = (file: string) => Number(readFileSync(path.join(stateDir, file), 'utf8').trim());

  async function call(method: string, url: string, body?: unknown, key?: string): Promise<Reply> {
    try {
      const res = await fetch(`${base}${url}`, {
        method,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          ...(key ? { 'idempotency-key': key } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      return {
        status: res.status,
        headers: res.headers,
        body: text ? (JSON.parse(text) as Record<string, any>) : {},
      };
    } catch {
      return { status: 0, headers: null, body: {} };
    }
  }

  async function everyoneReady(what: string): Promise<void> {
    const urls = apps.filter((a) => a.readyUrl).map((a) => a.readyUrl!);
    await eventually(
      async () =>
        (
          await Promise.all(
            urls.map((u) =>
              fetch(u).then(
                (r) => r.ok,
                () => false,
              ),
            ),
          )
        ).every(Boolean),
      120_000,
      `every process ready after ${what}`,
    ).catch(async (e: unknown) => {
      for (const a of apps) {
        const body = a.readyUrl
          ? await fetch(a.readyUrl).then(
              (r) => r.text(),
              (x: unknown) => String(x),
            )
          : '';
        log(
          `${a.name} (alive ${String(a.alive)}): ${body.slice(0, 1500)}\n--- output (tail) ---\n${a.output.slice(-3000)}`,
        );
      }
      throw e;
    });
  }

  beforeAll(async () => {
    const own = await ownInfraPorts();
    infraEnv = { SSYNC_STATE_DIR: stateDir, ...own.env };
    infra('up');
    brokers = `127.0.0.1:${own.kafka}`;
    mongoUri = `mongodb://127.0.0.1:${own.mongo}/t_faults_${suffix}`;
    log(`own infrastructure up: Kafka ${brokers}, MongoDB ${mongoUri}`);

    sim = await startSimulator({ port: 0 });
    sim.admin.createAccount({ userName: 'svc-ssync', password: 'Svc-Passw0rd!', domain: 'CONTOSO' });
    for (let i = 1; i <= MAILBOXES; i++)
      sim.admin.createMailbox({ smtpAddress: `f${i}@faults.test`, displayName: `Faults ${i}` });
    sim.admin.grantImpersonation({ userName: 'svc-ssync', mailboxes: 'all' });

    const apiPort = await freePort();
    base = `http://127.0.0.1:${apiPort}`;
    const env = {
      KAFKA_BROKERS: brokers,
      MONGODB_URI: mongoUri,
      SSYNC_TOPIC_PREFIX: prefix,
      SSYNC_PARTITIONS: '4',
      LOG_LEVEL: 'warn',
      SSYNC_DEV_TOKEN: token,
      PORT: String(apiPort),
      ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: '1',
      SSYNC_WORKER_TICK_MS: '200',
    };
    const projectorPort = await freePort();
    const workerPort = await freePort();
    apps.push(
      new AppProcess('api', 'apps/api/src/main.js', env).withReady(`${base}/health/ready`).start(),
      new AppProcess('projector', 'apps/projector/src/main.js', {
        ...env,
        HEALTH_PORT: String(projectorPort),
      })
        .withReady(`http://127.0.0.1:${projectorPort}/health/ready`)
        .start(),
      new AppProcess('worker', 'apps/sync-worker/src/main.js', {
        ...env,
        SSYNC_INSTANCE_ID: `faults-w1-${suffix}`,
        LOG_LEVEL: process.env.FAULTS_WORKER_LOG_LEVEL ?? 'warn',
        // A send Exchange refused during its faults is retried a minute later, not five (S-6's default).
        SSYNC_SEND_RETRY_DELAY_MINUTES: '1',
        HEALTH_PORT: String(workerPort),
      })
        .withReady(`http://127.0.0.1:${workerPort}/health/ready`)
        .start(),
    );
    await waitForHttp(`${base}/health/ready`, 240_000, apps[0]);
  }, 420_000);

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await sim?.close();
    try {
      infra('down');
    } finally {
      if (process.env.SSYNC_TEST_KEEP !== '1') rmSync(stateDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('rides through a Kafka outage, a database outage and an Exchange outage; nothing lost, nothing twice', async () => {
    // --- Set-up through the API. ---
    const profile = await call('POST', '/api/v1/email-server-profiles', {
      name: 'Faults Exchange',
      incomingServerLocation: sim.ewsUrl,
      outgoingServerLocation: sim.ewsUrl,
      authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
      userName: 'CONTOSO\\svc-ssync',
      password: 'Svc-Passw0rd!',
      incomingAuthenticationProtocol: 'NTLM',
      outgoingAuthenticationProtocol: 'NTLM',
      minimumPollingIntervalMinutes: 0,
    });
    expect(profile.status).toBe(201);
    const sss = {
      incomingEmailDeliveryMethod: 'ServerSideSync',
      outgoingEmailDeliveryMethod: 'ServerSideSync',
      actDeliveryMethod: 'ServerSideSync',
    };
    expect(
      (
        await call('PUT', '/api/v1/organization/email-settings', {
          defaultServerProfileId: profile.body.id,
          ...sss,
        })
      ).status,
    ).toBe(200);
    const ids: string[] = [];
    const smtpOf = new Map<string, string>();
    for (let i = 1; i <= MAILBOXES; i++) {
      const res = await call('POST', '/api/v1/mailboxes', {
        kind: 'User',
        name: `Faults ${i}`,
        emailAddress: `f${i}@faults.test`,
        ownerId: `owner-${i}`,
        serverProfileId: profile.body.id,
        ...sss,
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id as string);
      smtpOf.set(res.body.id as string, `f${i}@faults.test`);
    }
    await mailboxJob(call, 'approve-email', ids, { timeoutMs: 180_000 });
    await mailboxJob(call, 'test-and-enable', ids, { timeoutMs: 180_000 });
    for (const id of ids)
      await eventually(
        async () => {
          const m = (await call('GET', `/api/v1/mailboxes/${id}`)).body;
          return m.mailboxStatus === 'Success' && m.lastSyncAt !== null;
        },
        180_000,
        `mailbox ${smtpOf.get(id)} enabled and polled`,
      );

    // --- What the committed log says, as it happens: each message tracked, each queued email sent. ---
    const kafka = new Kafka({ clientId: `faults-${suffix}`, brokers: [brokers], logLevel: logLevel.NOTHING });
    const tracked = new Map<string, number>(); // `${smtp}|${subject}` → count
    const sent = new Map<string, number>();
    const sendFailures: string[] = [];
    // It reads through the broker's outage too: restarted after any crash, however long the broker is away.
    const follower = kafka.consumer({
      groupId: `${prefix}.faults-follower`,
      readUncommitted: false,
      retry: { retries: 10, restartOnFailure: () => Promise.resolve(true) },
    });
    await follower.connect();
    await follower.subscribe({ topic: `${prefix}.activity.events`, fromBeginning: true });
    await follower.run({
      eachMessage: async ({ message }) => {
        const e = JSON.parse(message.value?.toString('utf8') ?? '{}') as EventEnvelope<any>;
        if (e.type === 'IncomingEmailTracked') {
          const key = `${smtpOf.get(e.payload.mailboxId as string)}|${e.payload.subject as string}`;
          tracked.set(key, (tracked.get(key) ?? 0) + 1);
        }
        if (e.type === 'OutgoingEmailSent') sent.set(e.aggregateId, (sent.get(e.aggregateId) ?? 0) + 1);
        if (e.type === 'OutgoingEmailSendFailed')
          sendFailures.push(`${e.aggregateId}: ${JSON.stringify(e.payload)}`);
        await Promise.resolve();
      },
    });

    // --- Traffic throughout: a message a second, an outgoing email every 4 s (retried with its key). ---
    const delivered = new Map<string, string>(); // `${smtp}|${imid}` → subject
    const outgoing: { activityId: string; from: string; to: string; subject: string }[] = [];
    const statuses = new Map<number, number>();
    const queueErrors: string[] = [];
    let running = true;
    let n = 0;
    const traffic = (async () => {
      while (running) {
        const smtp = `f${(n % MAILBOXES) + 1}@faults.test`;
        const subject = `faults-in-${n}`;
        const [item] = sim.admin.deliver({
          from: 'someone@fabrikam.test',
          to: [smtp],
          subject,
          body: `<p>${n}</p>`,
        });
        delivered.set(`${smtp}|${item!.f.InternetMessageId as string}`, subject);
        if (n % 4 === 0) {
          const from = ids[n % MAILBOXES]!;
          const to = `f${((n + 1) % MAILBOXES) + 1}@faults.test`;
          const out = `faults-out-${n}`;
          void (async () => {
            for (;;) {
              const res = await call(
                'POST',
                '/api/v1/email-activities',
                {
                  mailboxId: from,
                  direction: 'Outgoing',
                  to: [to],
                  subject: out,
                  body: out,
                  bodyType: 'Text',
                },
                `${prefix}-${out}`,
              );
              statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
              if (res.status === 202 || res.status === 200) {
                outgoing.push({
                  activityId: res.body.id as string,
                  from: smtpOf.get(from)!,
                  to,
                  subject: out,
                });
                return;
              }
              if (res.status !== 0 && res.status !== 503 && res.status !== 504) {
                queueErrors.push(`${out}: ${res.status} ${JSON.stringify(res.body)}`);
                return;
              }
              await sleep(2000);
            }
          })();
        }
        n += 1;
        await sleep(1000);
      }
    })();

    const alive = () => apps.filter((a) => !a.alive).map((a) => `${a.name} exited`);

    /**
     * Within two minutes of an outage's end, with no one intervening: every message delivered and every email
     * queued by then is tracked and sent (issue #11).
     */
    async function caughtUp(what: string, endedAt: number): Promise<void> {
      const messages = [...delivered].map(([k, subject]) => `${k.split('|')[0]}|${subject}`);
      const emails = outgoing.map((o) => o.activityId);
      const missing = () => ({
        messages: messages.filter((k) => !tracked.has(k)),
        emails: emails.filter((id) => !sent.has(id)),
      });
      await eventually(
        () => {
          const m = missing();
          return Promise.resolve(m.messages.length === 0 && m.emails.length === 0);
        },
        Math.max(1, endedAt + 120_000 - Date.now()),
        `every message and queued email of ${what} done within two minutes of its end`,
      ).catch((e: unknown) => {
        log(`after ${what}: missing ${JSON.stringify(missing())}`);
        log(`send failures recorded: ${sendFailures.length}\n${sendFailures.slice(0, 10).join('\n')}`);
        for (const a of apps) log(`--- ${a.name} output (tail) ---\n${a.output.slice(-6000)}`);
        throw e;
      });
      log(
        `after ${what}: ${messages.length} messages tracked, ${emails.length} emails sent, ${Math.round((Date.now() - endedAt) / 1000)} s after its end`,
      );
    }

    // --- Kafka SIGKILLed, then started again. ---
    await sleep(5000);
    log(`SIGKILL Kafka for ${OUTAGE_SECONDS} s`);
    process.kill(pidOf('kafka.pid'), 'SIGKILL');
    await eventually(
      async () => {
        const res = await fetch(`${base}/health/ready`).catch(() => null);
        return res?.status === 503 && JSON.stringify(await res.json()).includes('kafka: not ready');
      },
      30_000,
      'the API to say Kafka is away',
    );
    await sleep(OUTAGE_SECONDS * 1000);
    expect(alive()).toEqual([]);
    infra('up');
    log('Kafka back');
    const kafkaBack = Date.now();
    await everyoneReady('the Kafka outage');
    expect(alive()).toEqual([]);
    await caughtUp('the Kafka outage', kafkaBack);

    // --- The database SIGKILLed, then started again: reads answer 503 with Retry-After meanwhile. ---
    await sleep(5000);
    log(`SIGKILL the MongoDB-compatible server for ${OUTAGE_SECONDS} s`);
    process.kill(pidOf('ferretdb.pid'), 'SIGKILL');
    const reads = new Map<number, number>();
    const until = Date.now() + OUTAGE_SECONDS * 1000;
    let retryAfter: string | null = null;
    while (Date.now() < until) {
      const res = await call('GET', `/api/v1/email-activities?mailboxId=${ids[0]}&limit=5`);
      reads.set(res.status, (reads.get(res.status) ?? 0) + 1);
      if (res.status === 503) retryAfter = res.headers?.get('retry-after') ?? null;
      await sleep(2000);
    }
    log(`reads during the database outage: ${JSON.stringify([...reads])}`);
    if (reads.has(500)) log(`api output (tail):\n${apps[0]?.output.slice(-4000)}`);
    expect(reads.get(500) ?? 0).toBe(0);
    expect(reads.get(503) ?? 0).toBeGreaterThan(0);
    expect(retryAfter).not.toBeNull();
    expect(alive()).toEqual([]);
    infra('up');
    log('database back');
    const databaseBack = Date.now();
    await everyoneReady('the database outage');
    await caughtUp('the database outage', databaseBack);

    // --- Exchange answers 503, then resets connections, then is slow, for a while. ---
    log('Exchange faults');
    for (const kind of ['http503', 'connectionReset', 'latency'] as const) {
      sim.admin.addFault({ kind, ...(kind === 'latency' ? { latencyMs: 3000 } : {}) });
      await sleep((OUTAGE_SECONDS * 1000) / 3);
      sim.admin.clearFaults();
    }
    const exchangeBack = Date.now();
    await everyoneReady('the Exchange outage');
    await caughtUp('the Exchange outage', exchangeBack);

    running = false;
    await traffic;
    await eventually(
      () => Promise.resolve(outgoing.length + queueErrors.length === Math.ceil(n / 4)),
      120_000,
      'every queue request answered',
    );
    expect(queueErrors).toEqual([]);
    // Every request was answered (503/504 with Retry-After while the broker was away), none left hanging.
    expect(statuses.get(0) ?? 0).toBe(0);
    log(
      `delivered ${delivered.size}, queued ${outgoing.length}; queue answers ${JSON.stringify([...statuses])}`,
    );

    // --- Every message tracked once, every queued email sent once (from the committed log), no mailbox disabled. ---
    for (const o of outgoing) delivered.set(`${o.to}|outgoing:${o.subject}`, o.subject);
    const expected = new Set([...delivered].map(([k, subject]) => `${k.split('|')[0]}|${subject}`));
    await eventually(
      () =>
        Promise.resolve(
          [...expected].every((k) => tracked.has(k)) && outgoing.every((o) => sent.has(o.activityId)),
        ),
      // The last emails queued are sent, then tracked in the recipients' mailboxes.
      120_000,
      'every message tracked and every queued email sent',
    ).catch((e: unknown) => {
      log(
        `tracked ${[...expected].filter((k) => tracked.has(k)).length}/${expected.size}, sent ${outgoing.filter((o) => sent.has(o.activityId)).length}/${outgoing.length}`,
      );
      log(`not tracked: ${[...expected].filter((k) => !tracked.has(k)).join(', ')}`);
      log(`send failures recorded: ${sendFailures.length}\n${sendFailures.slice(0, 10).join('\n')}`);
      for (const a of apps) log(`--- ${a.name} output (tail) ---\n${a.output.slice(-6000)}`);
      const worker = apps.find((a) => a.name === 'worker');
      log(
        `--- worker sender lines ---\n${(worker?.output ?? '')
          .split('\n')
          .filter((l) => l.includes('OutgoingSender'))
          .slice(-60)
          .join('\n')}`,
      );
      throw e;
    });
    await sleep(8000); // anything tracked or sent twice would show now
    await follower.disconnect();
    expect([...tracked].filter(([, count]) => count > 1)).toEqual([]);
    expect([...sent].filter(([, count]) => count > 1)).toEqual([]);
    for (const o of outgoing) {
      expect(sim.admin.folderItems(o.to, 'inbox').filter((i) => i.f.Subject === o.subject)).toHaveLength(1);
      expect(
        sim.admin.folderItems(o.from, 'sentitems').filter((i) => i.f.Subject === o.subject),
      ).toHaveLength(1);
    }
    for (const id of ids) {
      const m = (await call('GET', `/api/v1/mailboxes/${id}`)).body;
      expect({ id, incoming: m.enabledForIncomingEmail, outgoing: m.enabledForOutgoingEmail }).toEqual({
        id,
        incoming: true,
        outgoing: true,
      });
    }

    // --- The alerts say what happened. The administrators': each outage the worker rode through, with the work it
    // put off. The mailbox owners': Exchange's transient failures, as warnings (no mailbox was disabled, above). ---
    type ServiceAlert = {
      dependency: string;
      message: string;
      deferred: { polls: number; tests: number; sends: number };
    };
    const serviceAlerts = await eventually(
      async () => {
        const items = ((await call('GET', '/api/v1/service-alerts')).body?.items ?? []) as ServiceAlert[];
        return ['kafka', 'mongodb'].every((d) => items.some((a) => a.dependency === d)) ? items : null;
      },
      120_000,
      "the administrators' alerts name both outages",
    );
    log(`administrators' alerts:\n${serviceAlerts.map((a) => a.message).join('\n')}`);
    for (const dependency of ['kafka', 'mongodb'])
      expect(
        serviceAlerts
          .filter((a) => a.dependency === dependency)
          .some((a) => a.deferred.polls + a.deferred.tests + a.deferred.sends > 0),
      ).toBe(true);
    const warnings: string[] = [];
    for (let i = 1; i <= MAILBOXES; i++) {
      const wall = (await call('GET', `/api/v1/users/owner-${i}/alerts?level=Warning`)).body?.items ?? [];
      for (const a of wall as { message: string }[]) warnings.push(a.message);
    }
    log(`mailbox owners' warnings: ${warnings.length}; e.g. ${warnings[0] ?? 'none'}`);
    expect(warnings.some((m) => /transient error and will be retried/.test(m))).toBe(true);
    expect(alive()).toEqual([]);
  }, 900_000);
});
