/**
 * `npm run bench:mailboxes`: provision BENCH_MAILBOXES (10,000) mailboxes over HTTP, approve them all with one bulk
 * job, then time the Active Mailboxes list with common filters. Runs the api, projector and a sync worker as
 * processes on real Kafka and the MongoDB-compatible server. Prints provisioning and bulk-job throughput and the
 * p50/p95 of list queries — through the API (served from its in-memory directory), and the same filters, sorts and
 * limits straight against the projector's mailbox collection, as a query side in MongoDB would serve them
 * (docs/adr/0004, addendum on PostgreSQL).
 */
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { benchEnv, cleanUpRun, databaseLabel, freePort, load, percentile, startApp, waitHttp } from './lib';

const MAILBOXES = Number(process.env.BENCH_MAILBOXES ?? 10_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 100);
/** Straight against the collection each query costs FerretDB a scan and a sort: fewer of them. */
const DB_QUERIES = Number(process.env.BENCH_DB_QUERIES ?? 8);
const EWS = 'http://127.0.0.1:8085/EWS/Exchange.asmx';

async function main(): Promise<void> {
  const env = await benchEnv('mailboxes');
  const port = await freePort();
  const token = `bench-${randomBytes(12).toString('hex')}`;
  const common = { ...env.env, SSYNC_DEV_TOKEN: token, SSYNC_PARTITIONS: '12' };
  const procs = [
    startApp('apps/api/src/main.js', { ...common, PORT: String(port) }),
    startApp('apps/projector/src/main.js', common),
    startApp('apps/sync-worker/src/main.js', common),
  ];
  const base = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`bench:mailboxes — ${MAILBOXES} mailboxes; ${databaseLabel()}`);
  try {
    await waitHttp(`${base}/health/ready`);
    // Give the worker a moment to own the mailbox partitions.
    await new Promise((r) => setTimeout(r, 3000));
    const profile = await call('POST', '/api/v1/email-server-profiles', {
      name: 'Bench Exchange',
      incomingServerLocation: EWS,
      outgoingServerLocation: EWS,
      authenticateUsing: 'WindowsIntegratedAuthentication',
    });
    const profileId = profile.body!.id as string;
    const ids: string[] = new Array<string>(MAILBOXES);
    const provisioned = await load(MAILBOXES, 64, async (i) => {
      const res = await call('POST', '/api/v1/mailboxes', {
        kind: i % 10 === 0 ? 'Queue' : 'User',
        name: `Mailbox ${String(i).padStart(5, '0')}`,
        emailAddress: `user${i}@contoso.com`,
        ownerId: `owner-${i % 50}`,
        serverProfileId: profileId,
        incomingEmailDeliveryMethod: 'ServerSideSync',
        outgoingEmailDeliveryMethod: 'ServerSideSync',
        actDeliveryMethod: i % 3 === 0 ? 'Outlook' : 'ServerSideSync',
      });
      if (res.status !== 201) throw new Error(`provision ${res.status}`);
      ids[i] = res.body!.id as string;
    });
    out(
      `provision: ${MAILBOXES} mailboxes in ${provisioned.seconds.toFixed(1)} s = ${(MAILBOXES / provisioned.seconds).toFixed(0)}/s ` +
        `(HTTP p50 ${percentile(provisioned.latencies, 50).toFixed(1)} ms, p95 ${percentile(provisioned.latencies, 95).toFixed(1)} ms, errors ${provisioned.errors})`,
    );
    const valid = ids.filter(Boolean);

    const t0 = Date.now();
    const started = await call('POST', '/api/v1/mailboxes/approve-email', { mailboxIds: valid });
    if (started.status !== 202)
      throw new Error(`approve-email ${started.status} ${JSON.stringify(started.body)}`);
    const accepted = Date.now();
    const jobId = started.body!.jobId as string;
    let job: Record<string, unknown> | null = null;
    for (;;) {
      job = (await call('GET', `/api/v1/jobs/${jobId}`)).body;
      if (job?.status === 'Completed' || job?.status === 'Failed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (Date.now() - t0) / 1000;
    const results = job.results as { outcome: string }[];
    out(
      `approve-email job: ${valid.length} mailboxes, request validated and accepted in ${((accepted - t0) / 1000).toFixed(2)} s, ` +
        `completed (read model) in ${seconds.toFixed(1)} s = ${(valid.length / seconds).toFixed(0)} mailboxes/s; ` +
        `results ${results.length} (${results.filter((r) => r.outcome === 'Done').length} done, ${job.refused as number} refused)`,
    );

    // Time the lists once the projector has applied the approvals too: the API answers from memory either way,
    // but on 2 cores a projector still catching up takes the CPU the API would answer with.
    const settle = Date.now();
    const settled = await MongoClient.connect(env.mongoUri);
    try {
      const collection = settled.db().collection(await mailboxCollection(settled));
      while (
        (await collection.countDocuments({ emailAddressStatus: 'Approved' })) < valid.length &&
        Date.now() - settle < 300_000
      )
        await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await settled.close();
    }
    out(
      `read model caught up with the approvals ${((Date.now() - settle) / 1000).toFixed(1)} s after the job`,
    );

    const queries: [string, Record<string, string>][] = [
      ['first page, default sort', {}],
      ['by profile', { serverProfileId: profileId }],
      ['approved users', { kind: 'User', emailAddressStatus: 'Approved' }],
      ['by owner', { ownerId: 'owner-7' }],
      ['queues by email desc', { kind: 'Queue', sort: '-emailAddress' }],
      ['text search', { q: 'user12' }],
      ['not run, 200 per page', { mailboxStatus: 'NotRun', limit: '200' }],
    ];
    for (const [label, params] of queries) {
      const qs = new URLSearchParams(params).toString();
      const timed = await load(QUERIES, 4, async () => {
        const res = await call('GET', `/api/v1/mailboxes?${qs}`);
        if (res.status !== 200) throw new Error(`list ${res.status}`);
      });
      // And a walk to page 5 with the cursor (what a console does when scrolling).
      let pageCursor: string | null = null;
      const pageTimes: number[] = [];
      for (let page = 0; page < 5; page++) {
        const s = Date.now();
        const res = await call(
          'GET',
          `/api/v1/mailboxes?${qs}${pageCursor ? `&cursor=${encodeURIComponent(pageCursor)}` : ''}`,
        );
        pageTimes.push(Date.now() - s);
        pageCursor = (res.body?.nextCursor as string | null) ?? null;
        if (!pageCursor) break;
      }
      out(
        `list ${label.padEnd(26)} p50 ${percentile(timed.latencies, 50).toFixed(1).padStart(7)} ms  ` +
          `p95 ${percentile(timed.latencies, 95).toFixed(1).padStart(7)} ms  (${QUERIES} queries, 4 in flight; ` +
          `cursor pages ${pageTimes.join('/')} ms; errors ${timed.errors})`,
      );
    }

    // The same queries against the read model in MongoDB: what serving the list from the database would cost.
    const client = await MongoClient.connect(env.mongoUri);
    try {
      const db = client.db();
      const name = await mailboxCollection(client);
      const collection = db.collection(name);
      for (const [label, params] of queries) {
        const { filter, sort, limit } = mongoListQuery(params);
        const timed = await load(DB_QUERIES, 4, async () => {
          await collection
            .find(filter)
            .sort(sort)
            .limit(limit + 1)
            .toArray();
        });
        out(
          `db   ${label.padEnd(26)} p50 ${percentile(timed.latencies, 50).toFixed(1).padStart(7)} ms  ` +
            `p95 ${percentile(timed.latencies, 95).toFixed(1).padStart(7)} ms  (${DB_QUERIES} queries, 4 in flight, on the read model's collection ${name}; errors ${timed.errors})`,
        );
      }
    } finally {
      await client.close();
    }
  } finally {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGTERM');
          }),
      ),
    );
    await cleanUpRun(env);
  }
}

/** The projector's mailbox collection (versioned: mailboxes_v<N>). */
async function mailboxCollection(client: MongoClient): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const name = (await client.db().listCollections({}, { nameOnly: true }).toArray())
      .map((c) => c.name)
      .find((n) => /^mailboxes(_v\d+)?$/.test(n));
    if (name) return name;
    if (Date.now() > deadline) throw new Error('the projector made no mailboxes collection');
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** An API list query's parameters as the MongoDB query the mailbox collection's indexes are made for. */
function mongoListQuery(params: Record<string, string>): {
  filter: Record<string, unknown>;
  sort: Record<string, 1 | -1>;
  limit: number;
} {
  const filter: Record<string, unknown> = { status: 'Active' };
  let sortField = 'nameLower';
  let direction: 1 | -1 = 1;
  let limit = 50;
  for (const [key, value] of Object.entries(params)) {
    if (key === 'limit') limit = Number(value);
    else if (key === 'sort') {
      direction = value.startsWith('-') ? -1 : 1;
      const field = value.replace(/^-/, '');
      sortField = field === 'emailAddress' ? 'emailLower' : field === 'name' ? 'nameLower' : field;
    } else if (key === 'q') {
      const escaped = value.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      filter.$or = [{ nameLower: { $regex: escaped } }, { emailLower: { $regex: escaped } }];
    } else filter[key] = value;
  }
  return { filter, sort: { [sortField]: direction, _id: direction }, limit };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
