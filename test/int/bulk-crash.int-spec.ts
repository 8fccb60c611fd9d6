import { randomBytes } from 'node:crypto';
import { BulkItemResult } from '@ssync/domain';
import { EventEnvelope, KafkaCommandGateway, createKafka } from '@ssync/messaging';
import { deleteTopics, dropDatabase, eventually, readAllTopicBytes, testNamespace } from '../support/env';
import { jobCompleted } from '../support/jobs';
import { AppProcess, freePort, waitForHttp } from '../support/processes';
import { provisionMany } from './support/mailboxes';

const N = Number(process.env.SSYNC_TEST_CRASH_MAILBOXES ?? 4000);

/**
 * Crash in the middle of a bulk job (needs `npm run build`): the API that runs the job and the sync worker that
 * applies it are SIGKILLed while the job is under way, then restarted. Every mailbox must be approved exactly
 * once — no mailbox lost, none changed twice — and the job must end with one result per mailbox.
 */
describe('a bulk job survives SIGKILL of the API and the sync worker', () => {
  const ns = testNamespace('crash');
  const token = `crash-${randomBytes(8).toString('hex')}`;
  const apps: AppProcess[] = [];
  let base = '';
  const env = (extra: Record<string, string> = {}) => ({
    ...ns.env,
    SSYNC_DEV_TOKEN: token,
    // A killed member's partitions move after its session times out; keep that short.
    ...extra,
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    // Let every connection of the stopped processes close before the database file goes away.
    await new Promise((r) => setTimeout(r, 2000));
    await dropDatabase(ns);
    await deleteTopics(ns);
  });

  it(`approves ${N} mailboxes exactly once across the crash`, async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    let api = new AppProcess('api', 'apps/api/src/main.js', env({ PORT: String(port) })).start();
    let worker = new AppProcess('sync-worker', 'apps/sync-worker/src/main.js', env()).start();
    apps.push(api, worker, new AppProcess('projector', 'apps/projector/src/main.js', env()).start());
    await waitForHttp(`${base}/health/ready`, 120000, api);

    const kafka = createKafka({ brokers: ns.brokers, clientId: 'crash-test' });
    const gateway = new KafkaCommandGateway(kafka, {
      topicPrefix: ns.prefix,
      orgId: 'default',
      instanceId: `crash-test-${randomBytes(4).toString('hex')}`,
      timeoutMs: 60000,
    });
    await gateway.start();
    const ids = await provisionMany(gateway, N, 'crash');
    await gateway.stop();

    const started = await call('POST', '/api/v1/mailboxes/approve-email', { mailboxIds: ids });
    expect(started.status).toBe(202);
    const jobId = started.body!.jobId as string;
    // Kill both while the job is under way: some outcomes recorded, not all.
    const progress = await eventually(
      async () => {
        const r = await call('GET', `/api/v1/jobs/${jobId}`);
        const done = (r.body?.done as number | undefined) ?? 0;
        return done > 0 ? done : null;
      },
      60000,
      'first outcomes',
    );
    await Promise.all([api.kill9(), worker.kill9()]);
    process.stdout.write(`SIGKILL with ${progress} of ${N} outcomes recorded\n`);
    expect(progress).toBeLessThan(N);

    api = new AppProcess('api', 'apps/api/src/main.js', env({ PORT: String(port) })).start();
    worker = new AppProcess('sync-worker', 'apps/sync-worker/src/main.js', env()).start();
    apps.push(api, worker);
    await waitForHttp(`${base}/health/ready`, 120000, api);
    const job = await jobCompleted(call, jobId, {
      timeoutMs: 240000,
      what: 'job completed after the restart',
    });
    const results = job.results as BulkItemResult[];
    expect(results).toHaveLength(N);
    expect(new Set(results.map((r) => r.mailboxId))).toEqual(new Set(ids));
    expect(results.every((r) => r.outcome === 'Done')).toBe(true);

    const records = await readAllTopicBytes(ns, { committedOnly: true });
    const approvals = records
      .filter((r) => r.topic === `${ns.prefix}.mailbox.events`)
      .map((r) => JSON.parse(r.value) as EventEnvelope)
      .filter((e) => e.type === 'MailboxEmailApproved');
    const perMailbox = new Map<string, number>();
    for (const e of approvals) perMailbox.set(e.aggregateId, (perMailbox.get(e.aggregateId) ?? 0) + 1);
    expect(perMailbox.size).toBe(N);
    expect([...perMailbox.values()].every((n) => n === 1)).toBe(true);
    // The job's own log records each mailbox's outcome once.
    const recorded = records
      .filter((r) => r.topic === `${ns.prefix}.job.events`)
      .map((r) => JSON.parse(r.value) as EventEnvelope)
      .filter((e) => e.type === 'BulkJobItemsCompleted')
      .flatMap((e) => (e.payload as { results: BulkItemResult[] }).results.map((r) => r.mailboxId));
    expect(recorded).toHaveLength(N);
    expect(new Set(recorded).size).toBe(N);
  }, 600000);
});
