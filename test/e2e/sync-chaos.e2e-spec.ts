import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { EventEnvelope, KafkaCommandGateway } from '@ssync/messaging';
import { startSimulator } from '../../apps/exchange-simulator/src/index';
import { DEFAULT_POLL_SCHEDULE } from '../../apps/sync-worker/src/runtime/schedule';
import { deleteTopics, dropDatabase, eventually, readAllTopicBytes, testNamespace } from '../support/env';
import { mailboxJob } from '../support/jobs';
import { AppProcess, freePort, waitForHttp } from '../support/processes';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

const MAILBOXES = Number(process.env.CHAOS_MAILBOXES ?? 20);
const INCOMING = Number(process.env.CHAOS_MESSAGES ?? 1100);
const OUTGOING = Number(process.env.CHAOS_OUTGOING ?? 100);
const DELIVERY_SECONDS = Number(process.env.CHAOS_SECONDS ?? 40);
const MAX_CONNECTIONS = 3;
const SSS = {
  incomingEmailDeliveryMethod: 'ServerSideSync',
  outgoingEmailDeliveryMethod: 'ServerSideSync',
  actDeliveryMethod: 'ServerSideSync',
};
// A dead worker's mailbox partitions move after the group's session timeout (30 s) and a rebalance; a new
// worker's arrive within seconds. Polls inside these windows are reported apart (and held to the same rule).
const KILL_HANDOVER_MS = 45_000;
const JOIN_HANDOVER_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Issue #5 acceptance, with processes: three sync workers (one SIGKILLed twice) track 1,000+ incoming messages and
 * send 100 queued emails for 20 mailboxes behind one impersonating service account, against the Exchange simulator.
 * Each message becomes exactly one IncomingEmailTracked, each queued email is sent exactly once, the service
 * account never holds more connections than the profile allows (P-11), and no mailbox is polled more often than the
 * minimum interval allows (P-10).
 */
describe('sync chaos: tracking and sending exactly once through worker crashes', () => {
  const ns = testNamespace('e2e-chaos');
  const token = `dev-${randomBytes(16).toString('hex')}`;
  const apps: AppProcess[] = [];
  const workers = new Map<string, AppProcess>();
  let sim: Simulator;
  let base: string;
  let port: number;
  let gateway: KafkaCommandGateway | null = null;
  const log = (line: string) =>
    process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 23)}] ${line}\n`);

  function env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...ns.env,
      SSYNC_PARTITIONS: '6',
      SSYNC_DEV_TOKEN: token,
      PORT: String(port),
      ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: '1',
      SSYNC_WORKER_TICK_MS: '100',
      ...extra,
    };
  }

  function startWorker(id: string): AppProcess {
    const w = new AppProcess(
      `worker-${id}`,
      'apps/sync-worker/src/main.js',
      env({ SSYNC_INSTANCE_ID: id }),
    ).start();
    workers.set(id, w);
    apps.push(w);
    return w;
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
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
  }

  async function callWithKey(
    method: string,
    path: string,
    key: string,
    body: unknown,
  ): Promise<{ status: number; body: Record<string, any> }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'idempotency-key': key,
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
  }

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, maxConcurrency: 27, requestLogSize: 500_000 });
    sim.admin.createAccount({ userName: 'svc-ssync', password: 'Svc-Passw0rd!', domain: 'CONTOSO' });
    for (let i = 1; i <= MAILBOXES; i++)
      sim.admin.createMailbox({ smtpAddress: `u${i}@chaos.test`, displayName: `User ${i}` });
    sim.admin.grantImpersonation({ userName: 'svc-ssync', mailboxes: 'all' });

    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const api = new AppProcess('api', 'apps/api/src/main.js', env()).start();
    apps.push(api, new AppProcess('projector', 'apps/projector/src/main.js', env()).start());
    for (const id of ['w1', 'w2', 'w3']) startWorker(id);
    await waitForHttp(`${base}/health/ready`, 180000, api);
  });

  afterAll(async () => {
    await gateway?.stop().catch(() => undefined);
    await Promise.all(apps.map((a) => a.stop()));
    await sim?.close();
    if (process.env.SSYNC_TEST_KEEP !== '1') {
      await dropDatabase(ns);
      await deleteTopics(ns);
    }
  });

  it('tracks every message once, sends every queued email once, within P-10 and P-11, through two SIGKILLs', async () => {
    // --- Set-up through the API: profile (service account, impersonation, NTLM), defaults, mailboxes, T&E. ---
    const profile = await call('POST', '/api/v1/email-server-profiles', {
      name: 'Chaos Exchange',
      incomingServerLocation: sim.ewsUrl,
      outgoingServerLocation: sim.ewsUrl,
      authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
      userName: 'CONTOSO\\svc-ssync',
      password: 'Svc-Passw0rd!',
      incomingAuthenticationProtocol: 'NTLM',
      outgoingAuthenticationProtocol: 'NTLM',
      minimumPollingIntervalMinutes: 0,
      maxConcurrentConnections: MAX_CONNECTIONS,
    });
    expect(profile.status).toBe(201);
    expect(
      (
        await call('PUT', '/api/v1/organization/email-settings', {
          defaultServerProfileId: profile.body.id,
          ...SSS,
        })
      ).status,
    ).toBe(200);
    const ids: string[] = [];
    const smtpOf = new Map<string, string>();
    for (let i = 1; i <= MAILBOXES; i++) {
      const res = await call('POST', '/api/v1/mailboxes', {
        kind: 'User',
        name: `User ${i}`,
        emailAddress: `u${i}@chaos.test`,
        ownerId: `owner-${i}`,
        serverProfileId: profile.body.id,
        ...SSS,
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id as string);
      smtpOf.set(res.body.id as string, `u${i}@chaos.test`);
    }
    await mailboxJob(call, 'approve-email', ids, { timeoutMs: 180_000 });
    await mailboxJob(call, 'test-and-enable', ids, { timeoutMs: 180_000 });
    for (const id of ids)
      await eventually(
        async () => {
          const m = (await call('GET', `/api/v1/mailboxes/${id}`)).body;
          if (m.mailboxStatus === 'Failure') throw new Error(`${id} failed: ${JSON.stringify(m)}`);
          return m.mailboxStatus === 'Success' && m.lastSyncAt !== null;
        },
        240000,
        `mailbox ${smtpOf.get(id)} tested and polled once`,
      );
    log(`${MAILBOXES} mailboxes enabled and polled once`);

    // Follow the activity events (committed only) as they come, to know when to stop waiting.
    const kafka = new Kafka({
      clientId: `chaos-${ns.prefix}`,
      brokers: ns.brokers,
      logLevel: logLevel.NOTHING,
    });
    const follower = kafka.consumer({ groupId: `${ns.prefix}.chaos-follower`, readUncommitted: false });
    const tracked = new Set<string>();
    const sent = new Set<string>();
    await follower.connect();
    await follower.subscribe({ topic: `${ns.prefix}.activity.events`, fromBeginning: true });
    await follower.run({
      eachMessage: async ({ message }) => {
        const e = JSON.parse(message.value?.toString('utf8') ?? '{}') as EventEnvelope;
        if (e.type === 'IncomingEmailTracked') tracked.add(e.aggregateId);
        if (e.type === 'OutgoingEmailSent') sent.add(e.aggregateId);
        await Promise.resolve();
      },
    });

    // How outgoing email is queued: the API's endpoint if this build has it, else the activity command directly.
    const openapi = (await call('GET', '/api/openapi.json')).body;
    const viaApi = Object.keys(openapi.paths ?? {}).includes('/api/v1/email-activities');
    if (!viaApi) {
      gateway = new KafkaCommandGateway(kafka, {
        topicPrefix: ns.prefix,
        orgId: 'default',
        instanceId: `chaos-test-${randomBytes(3).toString('hex')}`,
        timeoutMs: 60000,
      });
      await gateway.start();
    }
    log(
      `queueing outgoing email ${viaApi ? 'through POST /api/v1/email-activities' : 'as QueueOutgoingEmail commands'}`,
    );

    // --- The run: 1,000+ deliveries and 100 queued emails over ~40 s; one worker SIGKILLed twice. ---
    const expectedIncoming = new Map<string, { mailbox: string; subject: string }>(); // key `${smtp}|${imid}`
    const outgoing: { activityId: string; from: string; to: string; subject: string }[] = [];
    const queueFailures: string[] = [];
    let retries = 0;
    const runStarted = Date.now();
    const handovers: { from: number; to: number }[] = [];
    const chaos = (async () => {
      await sleep(DELIVERY_SECONDS * 200);
      log('SIGKILL worker w1');
      handovers.push({ from: Date.now(), to: Date.now() + KILL_HANDOVER_MS });
      await workers.get('w1')!.kill9();
      await sleep(DELIVERY_SECONDS * 150);
      log('start replacement worker w4');
      handovers.push({ from: Date.now(), to: Date.now() + JOIN_HANDOVER_MS });
      startWorker('w4');
      await sleep(DELIVERY_SECONDS * 450);
      log('SIGKILL worker w4 (the replacement)');
      handovers.push({ from: Date.now(), to: Date.now() + KILL_HANDOVER_MS });
      await workers.get('w4')!.kill9();
      // w2 and w3 carry on.
    })();
    const ticks = DELIVERY_SECONDS * 4;
    let delivered = 0;
    let queued = 0;
    const queueing: Promise<void>[] = [];
    for (let t = 0; t < ticks; t++) {
      const dueIn = Math.round(((t + 1) * INCOMING) / ticks);
      for (; delivered < dueIn; delivered++) {
        const n = delivered;
        const smtp = `u${((n * 7) % MAILBOXES) + 1}@chaos.test`;
        const subject = `chaos-in-${n}`;
        const [item] = sim.admin.deliver({
          from: `sender${n % 13}@fabrikam.test`,
          to: [smtp],
          subject,
          body: `<p>message ${n}</p>`,
        });
        expectedIncoming.set(`${smtp}|${item!.f.InternetMessageId as string}`, { mailbox: smtp, subject });
      }
      const queueDue = Math.round(((t + 1) * OUTGOING) / ticks);
      for (; queued < queueDue; queued++) {
        const n = queued;
        const fromIndex = (n * 3) % MAILBOXES;
        const toIndex = (fromIndex + 1 + (n % (MAILBOXES - 1))) % MAILBOXES;
        const mailboxId = ids[fromIndex]!;
        const subject = `chaos-out-${n}`;
        const to = `u${toIndex + 1}@chaos.test`;
        queueing.push(
          (async () => {
            let activityId: string;
            if (viaApi) {
              // While a dead worker still holds the activity's partition the API answers 504 (outcome unknown):
              // retrying with the same Idempotency-Key is the documented, safe way on.
              const key = `chaos-out-${ns.prefix}-${n}`;
              let res: { status: number; body: Record<string, any> } = { status: 0, body: {} };
              for (let attempt = 1; attempt <= 8; attempt++) {
                res = await callWithKey('POST', '/api/v1/email-activities', key, {
                  mailboxId,
                  direction: 'Outgoing',
                  to: [to],
                  subject,
                  body: `outgoing ${n}`,
                  bodyType: 'Text',
                }).catch(() => ({ status: 0, body: {} }));
                if (res.status !== 504 && res.status !== 0 && res.status < 500) break;
                retries++;
              }
              if (res.status !== 202 && res.status !== 200) {
                queueFailures.push(`${subject}: ${res.status} ${JSON.stringify(res.body)}`);
                return;
              }
              activityId = res.body.id as string;
            } else {
              activityId = randomUUID();
              const commandId = randomUUID();
              const send = () =>
                gateway!.send({
                  aggregateType: 'activity',
                  aggregateId: activityId,
                  type: 'QueueOutgoingEmail',
                  actor: 'chaos-test',
                  commandId,
                  command: {
                    type: 'QueueOutgoingEmail',
                    activityId,
                    commandId,
                    actor: 'chaos-test',
                    issuedAt: new Date().toISOString(),
                    mailboxId,
                    from: smtpOf.get(mailboxId)!,
                    to: [to],
                    cc: [],
                    subject,
                    body: `outgoing ${n}`,
                    bodyType: 'Text',
                  },
                });
              let result = await send().catch(() => null);
              for (let attempt = 2; result === null && attempt <= 8; attempt++) {
                retries++;
                result = await send().catch(() => null); // same command id: applied once
              }
              if (!result?.accepted) {
                queueFailures.push(`${subject}: ${JSON.stringify(result?.error ?? 'no outcome')}`);
                return;
              }
            }
            outgoing.push({ activityId, from: smtpOf.get(mailboxId)!, to, subject });
          })().catch((e: unknown) => {
            queueFailures.push(`${subject}: ${String(e)}`);
          }),
        );
      }
      await sleep(Math.max(0, runStarted + (t + 1) * 250 - Date.now()));
    }
    await Promise.all(queueing);
    await chaos;
    log(
      `delivered ${delivered}, queued ${outgoing.length} (failures ${queueFailures.length}, retried ${retries} times) in ${Date.now() - runStarted} ms`,
    );
    expect(queueFailures).toEqual([]);
    expect(outgoing).toHaveLength(OUTGOING);

    // Every queued email is sent, and lands in its recipient's inbox: that copy is incoming mail to track too.
    await eventually(
      () => Promise.resolve(outgoing.every((o) => sent.has(o.activityId))),
      480000,
      'every queued email sent',
    ).catch((e: unknown) => {
      log(`sent ${outgoing.filter((o) => sent.has(o.activityId)).length}/${outgoing.length}`);
      throw e;
    });
    for (const o of outgoing) {
      const copy = sim.admin.folderItems(o.to, 'inbox').find((i) => i.f.Subject === o.subject);
      if (copy)
        expectedIncoming.set(`${o.to}|${copy.f.InternetMessageId as string}`, {
          mailbox: o.to,
          subject: o.subject,
        });
    }
    const total = expectedIncoming.size;
    log(`waiting for ${total} incoming messages to be tracked`);
    await eventually(() => Promise.resolve(tracked.size >= total), 600000, `${total} messages tracked`).catch(
      (e: unknown) => {
        log(`tracked ${tracked.size}/${total}`);
        throw e;
      },
    );
    // Keep the workers polling a little longer: anything tracked twice would show up now.
    await sleep(12000);
    await follower.disconnect();
    const finished = Date.now();

    // --- Verify from the log itself (committed records only), from Exchange's folders and its own metrics. ---
    const records = await readAllTopicBytes(ns, { committedOnly: true });
    const events = records
      .filter((r) => r.topic === `${ns.prefix}.activity.events`)
      .map((r) => JSON.parse(r.value) as EventEnvelope<any>);
    // Audited events and operational records (poll claims and outcomes, docs/adr/0010) alike, for the diagnostics.
    const mailboxEvents = records
      .filter(
        (r) => r.topic === `${ns.prefix}.mailbox.events` || r.topic === `${ns.prefix}.mailbox.operational`,
      )
      .map((r) => JSON.parse(r.value) as EventEnvelope<any>);
    const trackedEvents = events.filter((e) => e.type === 'IncomingEmailTracked');
    const byActivity = new Map<string, number>();
    const byMessage = new Map<string, number>();
    const mailboxSmtp = (id: string) => smtpOf.get(id) ?? id;
    for (const e of trackedEvents) {
      byActivity.set(e.aggregateId, (byActivity.get(e.aggregateId) ?? 0) + 1);
      const key = `${mailboxSmtp(e.payload.mailboxId as string)}|${String(e.payload.internetMessageId)}`;
      byMessage.set(key, (byMessage.get(key) ?? 0) + 1);
    }
    const duplicateActivities = [...byActivity].filter(([, n]) => n > 1);
    const duplicateMessages = [...byMessage].filter(([, n]) => n > 1);
    const missing = [...expectedIncoming.keys()].filter((k) => !byMessage.has(k));
    const unexpected = [...byMessage.keys()].filter((k) => !expectedIncoming.has(k));
    log(
      `IncomingEmailTracked: ${trackedEvents.length} events, ${byActivity.size} activities, ${byMessage.size} messages; ` +
        `expected ${total} (${delivered} delivered + ${total - delivered} sent between the mailboxes); ` +
        `duplicates ${duplicateActivities.length}/${duplicateMessages.length}, missing ${missing.length}, unexpected ${unexpected.length}`,
    );

    // Anything tracked that was not expected: which message is it (a second copy of a sent email?).
    for (const k of unexpected) {
      const [smtp, imid] = k.split('|');
      const item = sim.admin.folderItems(smtp!, 'inbox').find((i) => i.f.InternetMessageId === imid);
      log(`unexpected tracked message ${k}: subject ${JSON.stringify(item?.f.Subject)}`);
    }
    // Outgoing: one OutgoingEmailSent each, one copy in the recipient's inbox and one in the sender's Sent Items.
    const sentEvents = events.filter((e) => e.type === 'OutgoingEmailSent');
    const sentCount = new Map<string, number>();
    for (const e of sentEvents) sentCount.set(e.aggregateId, (sentCount.get(e.aggregateId) ?? 0) + 1);
    const wrongSends: string[] = [];
    for (const o of outgoing) {
      const inInbox = sim.admin.folderItems(o.to, 'inbox').filter((i) => i.f.Subject === o.subject).length;
      const inSent = sim.admin
        .folderItems(o.from, 'sentitems')
        .filter((i) => i.f.Subject === o.subject).length;
      const n = sentCount.get(o.activityId) ?? 0;
      if (n !== 1 || inInbox !== 1 || inSent !== 1)
        wrongSends.push(
          `${o.subject}: ${n} OutgoingEmailSent, ${inInbox} in ${o.to} inbox, ${inSent} in Sent Items`,
        );
    }
    log(
      `OutgoingEmailSent: ${sentEvents.length} events for ${outgoing.length} queued emails; wrong ${wrongSends.length}`,
    );

    // P-11: the service account never had more requests in flight at Exchange than the profile allows.
    const metrics = sim.admin.metrics() as {
      requests: { byOperation: Record<string, number> };
      concurrency: { accounts: Record<string, { highWater?: number }> };
      errors: { byCode: Record<string, number> };
    };
    const svc = metrics.concurrency.accounts['svc-ssync'];
    log(
      `simulator: ${JSON.stringify(metrics.requests.byOperation)}; errors ${JSON.stringify(metrics.errors.byCode)}; ` +
        `svc-ssync high-water ${svc?.highWater}`,
    );

    // P-10: consecutive poll starts of one mailbox never closer than the worker's floor (interval 0). A call that
    // follows one whose answer said "more available" is the next page of the same poll, not a new poll. Slack:
    // 1 s — the worker times its schedule from its own clock, the simulator stamps arrivals.
    // This holds across owners too: a poll is claimed in the mailbox aggregate (StartPoll) just before its first
    // request, and the aggregate refuses a start sooner than the interval after the last one, whichever worker made
    // it — so a new owner cannot repeat a poll the old one was still running. Pairs inside handover windows are
    // counted apart only to show where they would come from.
    const floor = DEFAULT_POLL_SCHEDULE.floorMs;
    const gaps: number[] = [];
    const tooSoon: { smtp: string; gap: number; at: number }[] = [];
    const duringHandover: { smtp: string; gap: number; at: number }[] = [];
    let pollStarts = 0;
    for (let i = 1; i <= MAILBOXES; i++) {
      const smtp = `u${i}@chaos.test`;
      const calls = sim.admin
        .requestLog({ mailbox: smtp, operation: 'SyncFolderItems' })
        .filter((e) => e.account === 'svc-ssync' && e.time <= finished);
      let lastStart: number | null = null;
      let previousHadMore = false;
      for (const c of calls) {
        if (!previousHadMore) {
          pollStarts++;
          if (lastStart !== null) {
            gaps.push(c.time - lastStart);
            if (c.time - lastStart < floor - 1000) {
              const t = { smtp, gap: c.time - lastStart, at: c.time };
              if (handovers.some((h) => c.time >= h.from && c.time <= h.to)) duringHandover.push(t);
              else tooSoon.push(t);
            }
          }
          lastStart = c.time;
        }
        previousHadMore = c.moreAvailable === true;
      }
    }
    gaps.sort((a, b) => a - b);
    log(
      `polls: ${pollStarts} poll starts over ${MAILBOXES} mailboxes; gap min ${gaps[0]} ms, p1 ${gaps[Math.floor(gaps.length / 100)]} ms, ` +
        `median ${gaps[Math.floor(gaps.length / 2)]} ms; under ${floor} ms: ${gaps.filter((g) => g < floor).length}; too soon (< ${floor - 1000} ms): ${tooSoon.length} outside partition handovers, ${duringHandover.length} during one`,
    );
    // What the log says about each poll that came too soon: who recorded which poll, and when it said the next is due.
    const idOf = new Map([...smtpOf].map(([id, smtp]) => [smtp, id]));
    for (const t of [...tooSoon, ...duringHandover]) {
      const id = idOf.get(t.smtp);
      const around = (x: number) => Math.abs(x - t.at) < 15000;
      const calls = sim.admin
        .requestLog({ mailbox: t.smtp })
        .filter((e) => around(e.time))
        .map(
          (e) =>
            `${new Date(e.time).toISOString().slice(11, 23)} ${e.operation}${e.moreAvailable ? '+' : ''} ${e.status}`,
        );
      const synced = mailboxEvents
        .filter((e) => e.aggregateId === id && /Sync|Test|Operational/.test(e.type))
        .filter((e) => around(Date.parse(e.occurredAt)))
        .map(
          (e) =>
            `#${e.sequence} ${e.type} poll ${String(e.payload.poll ?? e.payload.polls)} by ${e.actor} at ${e.occurredAt.slice(11, 23)} next ${String(e.payload.nextSyncDueAt ?? '').slice(11, 23)}`,
        );
      log(
        `too soon: ${t.smtp} ${t.gap} ms at ${new Date(t.at).toISOString()}\n  ${calls.join('\n  ')}\n  ${synced.join('\n  ')}`,
      );
    }
    expect(duplicateActivities).toEqual([]);
    expect(duplicateMessages).toEqual([]);
    expect(missing).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(trackedEvents).toHaveLength(total);
    expect(total).toBeGreaterThanOrEqual(1000);
    expect(wrongSends).toEqual([]);
    expect(sentEvents).toHaveLength(OUTGOING);
    expect(svc?.highWater ?? 0).toBeGreaterThan(0);
    expect(svc?.highWater ?? 0).toBeLessThanOrEqual(MAX_CONNECTIONS);
    expect(pollStarts).toBeGreaterThan(MAILBOXES);
    expect(
      [...tooSoon, ...duringHandover].map((t) => `${t.smtp}: ${t.gap} ms at ${new Date(t.at).toISOString()}`),
    ).toEqual([]);
  }, 1_500_000);
});
