import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { metricsText } from '@ssync/common';
import { syncOf } from '@ssync/domain';
import { DEFAULT_POLL_SCHEDULE } from '../../apps/sync-worker/src/runtime/schedule';
import { KafkaCommandGateway } from '@ssync/messaging';
import { startSimulator } from '../../apps/exchange-simulator/src/index';
import type { TestProgress } from '../../apps/api/src/jobs/test-progress';
import { ActivityOwner } from '../../apps/sync-worker/src/activity-owner';
import { SyncRuntime } from '../../apps/sync-worker/src/runtime/sync-runtime';
import { eventually, testNamespace } from '../support/env';
import { jobCompleted, mailboxJob, supertestCall } from '../support/jobs';
import { InProcessStack, startInProcessStack, stopInProcessStack } from '../support/stack';
import { SSS } from '../support/fixtures';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
const DEV_TOKEN = 'dev-token-sync-worker-int';

/** Test & Enable executed by a real sync worker against the Exchange simulator (M-6, P-4, P-5, S-6). */
describe('sync worker: Test & Enable against Exchange', () => {
  const ns = testNamespace('worker');
  let stack: InProcessStack;
  let sim: Simulator;
  const auth = `Bearer ${DEV_TOKEN}`;
  const http = () => request(stack.url);
  const api = supertestCall(http, auth);

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    sim.admin.createAccount({ userName: 'svc-ssync', password: 'Svc-Passw0rd!', domain: 'CONTOSO' });
    for (const who of ['alice', 'bob', 'dave', 'erin']) {
      sim.admin.createAccount({ userName: who, password: 'Passw0rd!', domain: 'CONTOSO' });
      sim.admin.createMailbox({ smtpAddress: `${who}@contoso.test`, displayName: who, ownerUserName: who });
    }
    sim.admin.grantImpersonation({
      userName: 'svc-ssync',
      mailboxes: ['alice@contoso.test', 'bob@contoso.test', 'erin@contoso.test'],
    });
    stack = await startInProcessStack(
      ns,
      {
        SSYNC_DEV_TOKEN: DEV_TOKEN,
        ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: '1',
        SSYNC_WORKER_TICK_MS: '100',
      },
      { worker: 'full' },
    );
  });

  afterAll(async () => {
    await stopInProcessStack(ns, stack);
    await sim?.close();
  });

  async function mailboxWhen(
    id: string,
    predicate: (m: Record<string, any>) => boolean,
    what: string,
  ): Promise<Record<string, any>> {
    return eventually(
      async () => {
        const res = await http().get(`/api/v1/mailboxes/${id}`).set('Authorization', auth);
        return res.status === 200 && predicate(res.body) ? (res.body as Record<string, any>) : null;
      },
      60000,
      what,
    );
  }

  /**
   * Users with impersonated mailboxes on a new profile of their own (minimum interval 0), incoming email only,
   * approved, tested and polled once. Returns the mailbox ids in the order given.
   */
  async function pollingMailboxes(profileName: string, who: string[]): Promise<string[]> {
    for (const w of who) {
      sim.admin.createAccount({ userName: w, password: 'Passw0rd!', domain: 'CONTOSO' });
      sim.admin.createMailbox({ smtpAddress: `${w}@contoso.test`, displayName: w, ownerUserName: w });
    }
    sim.admin.grantImpersonation({ userName: 'svc-ssync', mailboxes: who.map((w) => `${w}@contoso.test`) });
    const profile = await http()
      .post('/api/v1/email-server-profiles')
      .set('Authorization', auth)
      .send({
        name: profileName,
        incomingServerLocation: sim.ewsUrl,
        outgoingServerLocation: sim.ewsUrl,
        authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
        userName: 'CONTOSO\\svc-ssync',
        password: 'Svc-Passw0rd!',
        minimumPollingIntervalMinutes: 0,
      })
      .expect(201);
    const ids: string[] = [];
    for (const w of who) {
      const mbx = await http()
        .post('/api/v1/mailboxes')
        .set('Authorization', auth)
        .send({
          kind: 'User',
          name: w,
          emailAddress: `${w}@contoso.test`,
          ownerId: `u-${w}`,
          serverProfileId: profile.body.id,
          ...SSS,
          outgoingEmailDeliveryMethod: 'None',
          actDeliveryMethod: 'None',
        })
        .expect(201);
      ids.push(mbx.body.id as string);
    }
    await mailboxJob(api, 'approve-email', ids);
    await mailboxJob(api, 'test-and-enable', ids);
    for (const id of ids) await mailboxWhen(id, (m) => m.lastSyncAt !== null, 'first poll');
    return ids;
  }

  it('follows the seed page: profile with impersonation, defaults, approve, Test & Enable → Success, or the right failure', async () => {
    const profile = await http()
      .post('/api/v1/email-server-profiles')
      .set('Authorization', auth)
      .send({
        name: 'Contoso on-premises',
        incomingServerLocation: sim.ewsUrl,
        outgoingServerLocation: sim.ewsUrl,
        authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
        userName: 'CONTOSO\\svc-ssync',
        password: 'Svc-Passw0rd!',
        incomingAuthenticationProtocol: 'NTLM',
        minimumPollingIntervalMinutes: 0,
        maxConcurrentConnections: 4,
      })
      .expect(201);
    await http()
      .put('/api/v1/organization/email-settings')
      .set('Authorization', auth)
      .send({ defaultServerProfileId: profile.body.id, ...SSS })
      .expect(200);

    const ids: Record<string, string> = {};
    for (const who of ['alice', 'bob', 'dave', 'erin', 'nobody']) {
      const res = await http()
        .post('/api/v1/mailboxes')
        .set('Authorization', auth)
        .send({
          kind: 'User',
          name: who,
          emailAddress: `${who}@contoso.test`,
          ownerId: `u-${who}`,
          serverProfileId: profile.body.id,
          ...SSS,
        })
        .expect(201);
      ids[who] = res.body.id as string;
    }
    // erin is not approved: the organization processes email only for approved users.
    await mailboxJob(api, 'approve-email', [ids.alice!, ids.bob!, ids.dave!, ids.nobody!]);
    // P-13: Test & Enable on the profile runs over every mailbox of the profile as an asynchronous job.
    const profileJob = await http()
      .post(`/api/v1/email-server-profiles/${profile.body.id}/test-and-enable`)
      .set('Authorization', auth)
      .expect(202);
    expect(profileJob.body.mailboxes).toBe(5);
    await jobCompleted(api, profileJob.body.jobId, {
      what: 'profile test-and-enable job',
      until: (j) => j.done === 5,
    });

    const alice = await mailboxWhen(ids.alice!, (m) => m.mailboxStatus === 'Success', 'alice tested');
    expect(alice).toMatchObject({
      incomingEmailStatus: 'Success',
      outgoingEmailStatus: 'Success',
      // Appointments, contacts and tasks are not synchronized by this version: not run, not enabled, and no
      // Exchange call was made for them.
      actStatus: 'NotRun',
      actStatusReason: expect.stringMatching(/not synchronized by this version/),
      enabledForIncomingEmail: true,
      enabledForOutgoingEmail: true,
      enabledForAct: false,
    });
    expect(sim.admin.requestLog({ mailbox: 'alice@contoso.test', operation: 'GetFolder' }).length).toBe(1);
    // What Prometheus scrapes says the same (issue #12), from the API's port without a token.
    const scrape = await http().get('/metrics').expect(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain/);
    const scraped = scrape.text;
    expect(scraped).toMatch(/ssync_test_results_total\{area="incomingEmail",outcome="Success",[^}]*\} [1-9]/);
    expect(scraped).toMatch(/ssync_test_results_total\{area="incomingEmail",outcome="Failure",[^}]*\} [1-9]/);
    expect(scraped).toMatch(/ssync_ews_calls_total\{operation="testIncoming",outcome="ok",[^}]*\} [1-9]/);
    expect(scraped).toMatch(
      /ssync_ews_calls_total\{operation="testIncoming",outcome="permissions",[^}]*\} [1-9]/,
    );
    expect(scraped).toMatch(/ssync_connection_slot_wait_seconds_count\{[^}]*\} [1-9]/);

    // No impersonation right on dave's mailbox: permanent, disabled at once.
    const dave = await mailboxWhen(ids.dave!, (m) => m.mailboxStatus === 'Failure', 'dave failed');
    expect(dave.incomingEmailStatusReason).toMatch(/permissions|Impersonat/i);
    expect(dave).toMatchObject({ enabledForIncomingEmail: false, enabledForOutgoingEmail: false });

    // A mailbox Exchange does not have.
    const nobody = await mailboxWhen(ids.nobody!, (m) => m.mailboxStatus === 'Failure', 'nobody failed');
    expect(nobody.incomingEmailStatusReason).toMatch(/location|NonExistentMailbox/i);

    // Not approved.
    const erin = await mailboxWhen(ids.erin!, (m) => m.mailboxStatus === 'Failure', 'erin failed');
    expect(erin.mailboxStatusReason ?? erin.incomingEmailStatusReason).toMatch(/NotApproved/);

    // The job tells how the tests it requested went, not only that it requested them (issue #12).
    const tests = await eventually(
      async () => {
        const res = await http().get(`/api/v1/jobs/${profileJob.body.jobId}`).set('Authorization', auth);
        const t = res.body?.tests as TestProgress | undefined;
        return t && t.waiting === 0 && t.retrying === 0 ? t : null;
      },
      60000,
      'every test of the job has a result',
    );
    expect(tests.requested).toBeGreaterThanOrEqual(4);
    expect(tests.completed + tests.superseded).toBe(tests.requested);
    expect(tests.succeeded).toBeGreaterThanOrEqual(1);
    expect(tests.failed).toBeGreaterThanOrEqual(2);

    // The simulator saw the service account impersonating, never more at once than the profile allows (P-11).
    const metrics = (await (await fetch(`${sim.adminUrl}/metrics`)).json()) as {
      concurrency?: { accounts?: Record<string, { highWater?: number }> };
    };
    const svc = Object.entries(metrics.concurrency?.accounts ?? {}).find(([name]) =>
      /svc-ssync/i.test(name),
    )?.[1];
    expect(svc?.highWater ?? 0).toBeGreaterThan(0);
    expect(svc?.highWater ?? 0).toBeLessThanOrEqual(4);
  });

  it('tracks each new message once as an email activity, moves an untrackable one to Undeliverable, and sends queued email once (S-1, S-2, S-3, P-12)', async () => {
    const profile = await http()
      .post('/api/v1/email-server-profiles')
      .set('Authorization', auth)
      .send({
        name: 'Tracking',
        incomingServerLocation: sim.ewsUrl,
        outgoingServerLocation: sim.ewsUrl,
        authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
        userName: 'CONTOSO\\svc-ssync',
        password: 'Svc-Passw0rd!',
        minimumPollingIntervalMinutes: 0,
        moveFailedEmailsToUndeliverableFolder: true,
      })
      .expect(201);
    const mbx = await http()
      .post('/api/v1/mailboxes')
      .set('Authorization', auth)
      .send({
        kind: 'User',
        name: 'bob',
        emailAddress: 'bob@contoso.test',
        ownerId: 'u-bob',
        serverProfileId: profile.body.id,
        ...SSS,
      })
      .expect(201);
    const bobId = mbx.body.id as string;
    await mailboxJob(api, 'approve-email', [bobId]);
    await mailboxJob(api, 'test-and-enable', [bobId]);
    await mailboxWhen(bobId, (m) => m.mailboxStatus === 'Success', 'bob enabled');
    // The first poll fixes the tracking cut-off: mail that arrives afterwards is tracked.
    await mailboxWhen(bobId, (m) => m.lastSyncAt !== null, 'first poll');

    const subjects = ['Quote & terms <v2>', 'Réunion lundi', 'Plain one', 'Fourth'];
    for (const subject of subjects)
      sim.admin.deliver({
        from: 'dan@fabrikam.test',
        to: ['bob@contoso.test'],
        subject,
        body: `Body of ${subject}`,
      });
    sim.admin.deliver({
      from: 'dan@fabrikam.test',
      to: ['bob@contoso.test'],
      subject: 'x'.repeat(401),
      body: 'subject too long for an activity',
    });

    // The worker keeps of a tracked message only that it is tracked (issue #9): a settled entry (docs/adr/0012),
    // not a state. The activities are read back through the API, and each is checked to be settled in the store.
    const activities = stack.worker!.get(ActivityOwner).activities;
    const incoming = async () =>
      ((
        await http()
          .get(`/api/v1/email-activities?mailboxId=${bobId}&direction=Incoming&limit=200`)
          .set('Authorization', auth)
      ).body.items as { id: string; subject: string }[]) ?? [];
    await eventually(async () => (await incoming()).length >= subjects.length, 60000, 'messages tracked');
    await eventually(
      () => Promise.resolve(sim.admin.folderItems('bob@contoso.test', 'Undeliverable').length === 1),
      60000,
      'moved to Undeliverable',
    );
    // Keep polling a while: nothing is tracked twice.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await incoming()).map((a) => a.subject).sort()).toEqual([...subjects].sort());
    const trackedIds = (await incoming()).map((a) => a.id);
    for (const id of trackedIds)
      expect(activities.get(id)).toMatchObject({
        version: 1,
        state: { kind: 'Tracked', lastOutcome: 'Tracked' },
      });
    expect([...activities.entries()].filter(([id]) => trackedIds.includes(id))).toEqual([]);
    expect(activities.settledSize().aggregates).toBeGreaterThanOrEqual(trackedIds.length);

    // Outgoing: queued in the CRM, sent once through Exchange, in the recipient's inbox and the sender's Sent Items.
    const activityId = randomUUID();
    const queued = await stack.worker!.get(KafkaCommandGateway).send({
      aggregateType: 'activity',
      aggregateId: activityId,
      type: 'QueueOutgoingEmail',
      actor: 'u-bob',
      command: {
        type: 'QueueOutgoingEmail',
        activityId,
        commandId: randomUUID(),
        actor: 'u-bob',
        issuedAt: new Date().toISOString(),
        mailboxId: bobId,
        from: 'bob@contoso.test',
        to: ['alice@contoso.test'],
        cc: [],
        subject: 'Proposal & next steps',
        body: 'Hello Alice',
        bodyType: 'Text',
      },
    });
    expect(queued.accepted).toBe(true);
    await eventually(
      () => {
        const st = activities.get(activityId).state;
        return Promise.resolve(st.kind === 'Outgoing' && st.email.status === 'Sent');
      },
      60000,
      'sent',
    );
    const inAlice = sim.admin
      .folderItems('alice@contoso.test', 'inbox')
      .filter((i) => i.f.Subject === 'Proposal & next steps');
    const inSent = sim.admin
      .folderItems('bob@contoso.test', 'sentitems')
      .filter((i) => i.f.Subject === 'Proposal & next steps');
    expect(inAlice).toHaveLength(1);
    expect(inSent).toHaveLength(1);
    const scraped = (await metricsText()).body;
    expect(scraped).toMatch(/ssync_poll_starts_total\{[^}]*\} [1-9]/);
    expect(scraped).toMatch(/ssync_poll_lateness_seconds_count\{[^}]*\} [1-9]/);
    expect(scraped).toMatch(/ssync_arrival_to_tracked_seconds_count\{[^}]*\} [1-9]/);
    expect(scraped).toMatch(/ssync_ews_calls_total\{operation="syncInbox",outcome="ok",[^}]*\} [1-9]/);
    expect(scraped).toMatch(/ssync_consumer_lag\{group="[^"]+",topic="[^"]+\.mailbox\.events"/);
    expect(scraped).toMatch(/ssync_store_caught_up\{store="[^"]+",[^}]*\} 1/);
  });

  it('a wrong profile password fails Test & Enable permanently with a credentials reason', async () => {
    const profile = await http()
      .post('/api/v1/email-server-profiles')
      .set('Authorization', auth)
      .send({
        name: 'Wrong password',
        incomingServerLocation: sim.ewsUrl,
        outgoingServerLocation: sim.ewsUrl,
        authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
        userName: 'CONTOSO\\svc-ssync',
        password: 'nope',
        incomingAuthenticationProtocol: 'Basic',
      })
      .expect(201);
    const mbx = await http()
      .post('/api/v1/mailboxes')
      .set('Authorization', auth)
      .send({
        kind: 'User',
        name: 'bob2',
        emailAddress: 'bob@contoso.test',
        ownerId: 'u-bob',
        serverProfileId: profile.body.id,
        ...SSS,
      })
      .expect(201);
    await mailboxJob(api, 'approve-email', [mbx.body.id]);
    await mailboxJob(api, 'test-and-enable', [mbx.body.id]);
    const bob = await mailboxWhen(mbx.body.id, (m) => m.mailboxStatus === 'Failure', 'bob failed');
    expect(bob.incomingEmailStatusReason).toMatch(/credentials|401/i);
    expect(bob.enabledForIncomingEmail).toBe(false);
  });

  it('does not poll sooner than the interval after a poll another worker started and never finished (P-10 across owners)', async () => {
    sim.admin.createAccount({ userName: 'frank', password: 'Passw0rd!', domain: 'CONTOSO' });
    sim.admin.createMailbox({
      smtpAddress: 'frank@contoso.test',
      displayName: 'frank',
      ownerUserName: 'frank',
    });
    sim.admin.grantImpersonation({ userName: 'svc-ssync', mailboxes: ['frank@contoso.test'] });
    const profile = await http()
      .post('/api/v1/email-server-profiles')
      .set('Authorization', auth)
      .send({
        name: 'Handover',
        incomingServerLocation: sim.ewsUrl,
        outgoingServerLocation: sim.ewsUrl,
        authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
        userName: 'CONTOSO\\svc-ssync',
        password: 'Svc-Passw0rd!',
        minimumPollingIntervalMinutes: 0,
      })
      .expect(201);
    const mbx = await http()
      .post('/api/v1/mailboxes')
      .set('Authorization', auth)
      .send({
        kind: 'User',
        name: 'frank',
        emailAddress: 'frank@contoso.test',
        ownerId: 'u-frank',
        serverProfileId: profile.body.id,
        ...SSS,
        outgoingEmailDeliveryMethod: 'None',
        actDeliveryMethod: 'None',
      })
      .expect(201);
    const id = mbx.body.id as string;
    await mailboxJob(api, 'approve-email', [id]);
    await mailboxJob(api, 'test-and-enable', [id]);
    await mailboxWhen(id, (m) => m.lastSyncAt !== null, 'first poll');

    // Another worker — say one that is about to die — claims the next poll, with a 20 s interval, and never
    // records its outcome. The live owner must not poll before that claim's floor.
    const gateway = stack.worker!.get(KafkaCommandGateway);
    const holdMs = 20_000;
    const claimedAt = await eventually(
      async () => {
        const snapshot = stack.mailboxOwner.mailboxes.get(id).state;
        if (snapshot.status !== 'Active') return null;
        const at = Date.now();
        const res = await gateway.sendCommand('mailbox', id, {
          type: 'StartPoll',
          mailboxId: id,
          commandId: randomUUID(),
          actor: 'sync-worker:about-to-die',
          issuedAt: new Date(at).toISOString(),
          poll: syncOf(snapshot.mailbox).polls,
          minIntervalMs: holdMs,
        });
        return res.accepted && res.events.length === 1 ? at : null;
      },
      30000,
      'a poll claimed by another worker',
    );
    const resumed = await mailboxWhen(
      id,
      (m) => m.lastSyncAt !== null && Date.parse(m.lastSyncAt as string) > claimedAt,
      'polling resumed',
    );
    // B-5 shows when the last poll ran and the next is due; the sync state itself (the EWS cursor) is internal.
    expect(Date.parse(resumed.nextSyncDueAt as string)).toBeGreaterThan(
      Date.parse(resumed.lastSyncAt as string),
    );
    expect(resumed).not.toHaveProperty('sync');
    const calls = sim.admin
      .requestLog({ mailbox: 'frank@contoso.test', operation: 'SyncFolderItems' })
      .map((e) => e.time)
      .filter((t) => t > claimedAt);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls[0]! - claimedAt).toBeGreaterThanOrEqual(holdMs);
    const after = stack.mailboxOwner.mailboxes.get(id).state;
    expect(after.status === 'Active' && syncOf(after.mailbox).lastPollStartedBy).not.toBe(
      'sync-worker:about-to-die',
    );
  });

  it('retries a throttled mailbox with a warning and never disables it for that (S-5, S-6)', async () => {
    const [id] = (await pollingMailboxes('Throttled', ['gina'])) as [string];

    // Exchange answers ErrorServerBusy to the next three polls.
    sim.admin.addFault({
      kind: 'serverBusy',
      mailbox: 'gina@contoso.test',
      operation: 'SyncFolderItems',
      backOffMs: 100,
      count: 3,
    });
    const throttled = await mailboxWhen(
      id,
      (m) => typeof m.lastSyncError === 'string' && /throttled/.test(m.lastSyncError),
      'a throttled poll recorded',
    );
    expect(throttled.enabledForIncomingEmail).toBe(true);
    const state = stack.mailboxOwner.mailboxes.get(id).state;
    expect(state.status === 'Active' && syncOf(state.mailbox).consecutiveFailures).toBe(0);
    const warned = await eventually(
      async () => {
        const res = await http().get('/api/v1/users/u-gina/alerts?level=Warning').set('Authorization', auth);
        return (res.body.items as { message: string }[] | undefined)?.find((a) =>
          /throttled/.test(a.message),
        );
      },
      30000,
      'a warning for the mailbox owner',
    );
    expect(warned.message).toMatch(/will be retried/);
    // Once Exchange stops throttling, polling carries on: the error clears, the mailbox stays enabled.
    const recovered = await mailboxWhen(
      id,
      (m) => m.lastSyncError === null,
      'polling resumed after throttling',
    );
    expect(recovered).toMatchObject({ enabledForIncomingEmail: true, mailboxStatus: 'Success' });
  });

  it('after an Exchange outage, mailboxes deep in their back-off are polled again within a probe interval, not on their schedule (issue #11)', async () => {
    const who = ['kim', 'leo'];
    const ids = await pollingMailboxes('Outage', who);

    // Exchange answers 503 to both mailboxes' polls until each has failed five times in a row: the next poll the
    // back-off schedules is 80 s or more away (5 s doubling).
    for (const w of who)
      sim.admin.addFault({ kind: 'http503', mailbox: `${w}@contoso.test`, operation: 'SyncFolderItems' });
    const syncState = (id: string) => {
      const state = stack.mailboxOwner.mailboxes.get(id).state;
      return state.status === 'Active' ? syncOf(state.mailbox) : null;
    };
    const scheduled = new Map<string, number>();
    for (const id of ids)
      await eventually(
        () => {
          const sync = syncState(id);
          if (!sync || sync.consecutiveFailures < 5 || sync.nextSyncDueAt === null)
            return Promise.resolve(false);
          scheduled.set(id, Date.parse(sync.nextSyncDueAt));
          return Promise.resolve(true);
        },
        180_000,
        'five failed polls in a row',
      );
    // While it fails, a probe goes out ahead of the schedule (30 s after the last try); it meets the fault and is
    // not recorded: still five failures, the same schedule.
    const runtime = stack.worker!.get(SyncRuntime);
    const probesBefore = runtime.stats.earlyPollsFailed;
    await eventually(
      () => Promise.resolve(runtime.stats.earlyPollsFailed > probesBefore),
      60_000,
      'a probe during the outage',
    );
    for (const id of ids)
      expect(syncState(id)).toMatchObject({
        consecutiveFailures: 5,
        nextSyncDueAt: new Date(scheduled.get(id)!).toISOString(),
      });
    sim.admin.clearFaults();
    const backAt = Date.now();
    // Otherwise the test proves nothing: each schedule still lies well ahead.
    for (const due of scheduled.values()) expect(due).toBeGreaterThan(backAt + 30_000);
    for (const w of who)
      sim.admin.deliver({
        to: [`${w}@contoso.test`],
        from: 'x@fabrikam.test',
        subject: `back ${w}`,
        body: 'hi',
      });
    for (const id of ids) {
      const polled = await mailboxWhen(
        id,
        (m) => m.lastSyncError === null && Date.parse(m.lastSyncAt as string) > backAt,
        'a poll after the outage',
      );
      // One mailbox was the probe, the other pulled forward once it answered: both before their schedules.
      expect(Date.parse(polled.lastSyncAt as string)).toBeLessThan(scheduled.get(id)!);
      expect(polled).toMatchObject({ enabledForIncomingEmail: true });
    }
  }, 400_000);

  it('claims a scheduled poll ahead of its due time and sends no request before the start it reserved (P-10, issue #12)', async () => {
    const [id] = (await pollingMailboxes('Ahead', ['ivan'])) as [string];
    const runtime = stack.worker!.get(SyncRuntime);
    const aheadBefore = runtime.stats.pollsClaimedAhead;
    // Each claim reserves the poll's due time as its start; the request that follows goes at or after it. Seen
    // after every poll: the reserved start of the last claim, and the request log of the mailbox.
    const starts = new Set<string>();
    const polls = () =>
      sim.admin.requestLog({ mailbox: 'ivan@contoso.test', operation: 'SyncFolderItems' }).map((e) => e.time);
    await eventually(
      () => {
        const state = stack.mailboxOwner.mailboxes.get(id).state;
        const started = state.status === 'Active' ? syncOf(state.mailbox).lastPollStartedAt : null;
        if (started !== null) starts.add(started);
        return Promise.resolve(starts.size >= 3 && runtime.stats.pollsClaimedAhead >= aheadBefore + 2);
      },
      60_000,
      'two polls claimed ahead',
    );
    const calls = polls();
    const floor = DEFAULT_POLL_SCHEDULE.floorMs;
    for (const start of starts) {
      const at = Date.parse(start);
      // The previous poll was answered at least the floor before this start, so any request less than the floor
      // before it would be this poll's, sent before the start it reserved.
      expect(calls.filter((t) => t > at - floor && t < at)).toEqual([]);
      const request = calls.find((t) => t >= at);
      if (request !== undefined) expect(request - at).toBeLessThanOrEqual(3000); // the claim's slack
    }
    // P-10 within one owner, as Exchange sees it: consecutive requests at least the floor apart (the simulator runs
    // in this process, on the same clock; the next poll counts from the previous one's answer).
    for (let i = 1; i < calls.length; i += 1) expect(calls[i]! - calls[i - 1]!).toBeGreaterThanOrEqual(floor);
  });

  it('an idle mailbox leaves no audit trail: polls move only its operational state (docs/adr/0010)', async () => {
    const [id] = (await pollingMailboxes('Quiet', ['hana'])) as [string];
    const first = await mailboxWhen(id, (m) => m.lastSyncAt !== null, 'first poll');
    const audited = async () =>
      ((await http().get(`/api/v1/audit/mailboxes/${id}`).set('Authorization', auth)).body.events as {
        type: string;
      }[]) ?? [];
    // The first poll is audited (where tracking began); wait until the audit trail has it.
    const before = await eventually(
      async () => {
        const events = await audited();
        return events.some((e) => e.type === 'MailboxSynced') ? events : null;
      },
      30000,
      'the first poll in the audit trail',
    );
    const polls = () =>
      sim.admin.requestLog({ mailbox: 'hana@contoso.test', operation: 'SyncFolderItems' }).length;
    const polledBefore = polls();
    // Three more polls at the 5 s floor; the view's B-5 fields move with them.
    const later = await mailboxWhen(
      id,
      (m) =>
        polls() >= polledBefore + 3 &&
        Date.parse(m.lastSyncAt as string) > Date.parse(first.lastSyncAt as string),
      'three more polls',
    );
    expect(Date.parse(later.nextSyncDueAt as string)).toBeGreaterThan(Date.parse(later.lastSyncAt as string));
    expect(later.version).toBe(first.version);
    const after = await audited();
    expect(after.map((e) => e.type)).toEqual(before.map((e) => e.type));
    expect(after.filter((e) => e.type === 'MailboxPollStarted')).toEqual([]);
  });
});
