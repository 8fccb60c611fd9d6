/**
 * `npm run bench:sync`: polling and tracking throughput of the sync workers against the Exchange simulator, for
 * BENCH_MAILBOXES (1000,10000) mailboxes behind one impersonating service account, with mail arriving at a steady
 * rate (BENCH_RATE messages/s). For each size: provision through the API (bounded concurrency: there is no bulk
 * provisioning endpoint), Test & Enable, wait for the first polls, then measure a window of BENCH_WINDOW_S seconds
 * with one sync worker process, start a second one, let the group rebalance, and measure the same window again.
 *
 * Prints per run: SyncFolderItems calls/s and poll starts/s (the simulator's request log), arrival-to-tracked
 * latency p50/p99 (delivery time → the IncomingEmailTracked record's Kafka timestamp), how late polls start against
 * their schedule (the `nextSyncDueAt` of each operational record of the mailbox → the next SyncFolderItems of that mailbox in the
 * request log; a due poll that had not started by the end of the window counts with its lateness so far), and the
 * ratio two workers / one worker.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { ChildProcess } from 'node:child_process';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { startSimulator } from '../apps/exchange-simulator/src/index';
import { benchEnv, databaseLabel, freePort, load, percentile, startApp, waitHttp } from './lib';

const SIZES = (process.env.BENCH_MAILBOXES ?? '1000,10000').split(',').map(Number);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 40);
const RATE = Number(process.env.BENCH_RATE ?? 20);
const REBALANCE_S = Number(process.env.BENCH_REBALANCE_S ?? 20);
const FIRST_POLL_TIMEOUT_S = Number(process.env.BENCH_FIRST_POLL_TIMEOUT_S ?? 240);
const MAX_CONNECTIONS = Number(process.env.BENCH_MAX_CONNECTIONS ?? 64);

const out = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) =>
  process.stderr.write(`[bench:sync ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunResult {
  size: number;
  workers: number;
  /** Mailboxes enabled and polled at least once when the window began (mail goes to these). */
  enabled: number;
  windowS: number;
  sfiPerS: number;
  pollStartsPerS: number;
  delivered: number;
  trackedInWindow: number;
  latencyP50: number;
  latencyP99: number;
  duePolls: number;
  lateP50: number;
  lateP99: number;
  notStarted: number;
  /** CPU seconds per second of the window, by component (where a pid is known), and the workers' CPU per poll. */
  cpu: Record<string, number>;
  workerCpuMsPerPoll: number;
}

/** utime + stime (s) and parent pid of one process, from /proc (Linux); null when unknown. */
function procStat(pid: number): { cpu: number; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime + stime, in clock ticks of 1/100 s
    return { cpu: (Number(fields[11]) + Number(fields[12])) / 100, ppid: Number(fields[1]) };
  } catch {
    return null;
  }
}

/**
 * CPU time (s) a process and its live children have used so far; null when unknown. PostgreSQL works in one
 * child process per connection, so its postmaster alone shows almost nothing.
 */
function cpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  const own = procStat(pid);
  if (!own) return null;
  let total = own.cpu;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    const child = procStat(Number(entry));
    if (child?.ppid === pid) total += child.cpu;
  }
  return total;
}

function infraPid(name: 'kafka' | 'ferretdb' | 'postgres'): number | undefined {
  try {
    return (
      Number(readFileSync(path.join(process.cwd(), '.ssync', `${name}.pid`), 'utf8').trim()) || undefined
    );
  } catch {
    return undefined;
  }
}

/** Components whose CPU is sampled: name → pids. The simulator runs in this process. */
type CpuProbe = () => Record<string, number>;
function cpuProbe(procs: { name: string; pid: number | undefined }[]): CpuProbe {
  return () => {
    const sample: Record<string, number> = {};
    const self = process.cpuUsage();
    sample['simulator+bench'] = (self.user + self.system) / 1e6;
    const all = [
      ...procs,
      { name: 'kafka', pid: infraPid('kafka') },
      { name: 'ferretdb', pid: infraPid('ferretdb') },
      { name: 'postgres', pid: infraPid('postgres') },
    ];
    for (const { name, pid } of all) {
      const s = cpuSeconds(pid);
      if (s !== null) sample[name] = (sample[name] ?? 0) + s;
    }
    return sample;
  };
}

async function follow(
  kafka: Kafka,
  groupId: string,
  topic: string,
  onEvent: (e: { type: string; aggregateId: string; payload: Record<string, unknown> }, ts: number) => void,
): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        try {
          onEvent(JSON.parse(m.value?.toString('utf8') ?? '{}'), Number(m.timestamp));
        } catch {
          // not an event
        }
      }
      await Promise.resolve();
    },
  });
  return consumer;
}

async function benchSize(size: number): Promise<RunResult[]> {
  const env = await benchEnv('sync');
  const port = await freePort();
  const token = `bench-${randomBytes(12).toString('hex')}`;
  const common = {
    ...env.env,
    SSYNC_DEV_TOKEN: token,
    SSYNC_PARTITIONS: '12',
    ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: '1',
  };
  const sim = await startSimulator({ port: 0, maxConcurrency: 0, requestLogSize: 600_000 });
  sim.admin.createAccount({ userName: 'svc-bench', password: 'Svc-Passw0rd!', domain: 'CONTOSO' });
  const g = sim.admin.generate({
    mailboxCount: size,
    messagesPerMailbox: 0,
    domain: 'bench.test',
    prefix: 'm',
  });
  sim.admin.grantImpersonation({ userName: 'svc-bench', mailboxes: 'all' });
  note(`size ${size}: simulator ready with ${g.mailboxes} mailboxes in ${g.ms} ms`);

  const procs: ChildProcess[] = [
    startApp('apps/api/src/main.js', { ...common, PORT: String(port) }),
    startApp('apps/projector/src/main.js', common),
    startApp('apps/sync-worker/src/main.js', { ...common, SSYNC_INSTANCE_ID: 'bench-w1' }),
  ];
  const base = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const kafka = new Kafka({
    clientId: 'bench-sync',
    brokers: env.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumers: Consumer[] = [];
  try {
    await waitHttp(`${base}/health/ready`);
    const profile = await call('POST', '/api/v1/email-server-profiles', {
      name: 'Bench Exchange',
      incomingServerLocation: sim.ewsUrl,
      outgoingServerLocation: sim.ewsUrl,
      authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
      userName: 'CONTOSO\\svc-bench',
      password: 'Svc-Passw0rd!',
      incomingAuthenticationProtocol: 'Basic',
      outgoingAuthenticationProtocol: 'Basic',
      minimumPollingIntervalMinutes: 0,
      maxConcurrentConnections: MAX_CONNECTIONS,
    });
    if (profile.status !== 201) throw new Error(`profile ${profile.status} ${JSON.stringify(profile.body)}`);
    const settings = await call('PUT', '/api/v1/organization/email-settings', {
      defaultServerProfileId: profile.body.id,
      incomingEmailDeliveryMethod: 'ServerSideSync',
      outgoingEmailDeliveryMethod: 'None',
      actDeliveryMethod: 'None',
      processEmailsOnlyForApprovedUsers: false,
      processEmailsOnlyForApprovedQueues: false,
    });
    if (settings.status !== 200)
      throw new Error(`org settings ${settings.status} ${JSON.stringify(settings.body)}`);

    const ids = new Array<string>(size);
    const smtpOf = new Map<string, string>();
    const provisioned = await load(size, 32, async (i) => {
      const smtp = `m${i + 1}@bench.test`;
      const res = await call('POST', '/api/v1/mailboxes', {
        kind: 'User',
        name: `Mailbox ${i + 1}`,
        emailAddress: smtp,
        ownerId: `owner-${i % 50}`,
        serverProfileId: profile.body.id,
        incomingEmailDeliveryMethod: 'ServerSideSync',
        outgoingEmailDeliveryMethod: 'None',
        actDeliveryMethod: 'None',
      });
      if (res.status !== 201) throw new Error(`provision ${res.status} ${JSON.stringify(res.body)}`);
      ids[i] = res.body.id as string;
      smtpOf.set(res.body.id as string, smtp);
    });
    note(
      `provisioned ${size} mailboxes in ${provisioned.seconds.toFixed(1)} s (${(size / provisioned.seconds).toFixed(0)}/s, errors ${provisioned.errors})`,
    );
    const valid = ids.filter(Boolean);
    const t0 = Date.now();
    const started = await call('POST', '/api/v1/mailboxes/test-and-enable', { mailboxIds: valid });
    if (started.status !== 202)
      throw new Error(`test-and-enable ${started.status} ${JSON.stringify(started.body)}`);

    // Followers: tracked messages (latency) and recorded schedules (lateness), committed records only.
    const tracked = new Map<string, number>(); // `${smtp}|${imid}` → record timestamp
    const dueTimes = new Map<string, Set<number>>(); // smtp → nextSyncDueAt values
    consumers.push(
      await follow(kafka, `${env.prefix}.bench-activity`, `${env.prefix}.activity.events`, (e, ts) => {
        if (e.type !== 'IncomingEmailTracked') return;
        const smtp = smtpOf.get(e.payload.mailboxId as string);
        if (smtp) tracked.set(`${smtp}|${String(e.payload.internetMessageId)}`, ts);
      }),
      // Poll outcomes are operational state (docs/adr/0010): each record carries the schedule in force.
      await follow(kafka, `${env.prefix}.bench-mailbox`, `${env.prefix}.mailbox.operational`, (e) => {
        if (e.type !== 'OperationalState') return;
        const smtp = smtpOf.get(e.aggregateId);
        const due = e.payload.nextSyncDueAt;
        if (!smtp || typeof due !== 'string') return;
        let set = dueTimes.get(smtp);
        if (!set) dueTimes.set(smtp, (set = new Set()));
        set.add(Date.parse(due));
      }),
    );

    // Wait until (nearly) every mailbox has been polled once.
    const polledSet = () =>
      new Set(sim.admin.requestLog({ operation: 'SyncFolderItems' }).map((e) => e.mailbox ?? ''));
    const polledOnce = () => polledSet().size;
    const deadline = Date.now() + FIRST_POLL_TIMEOUT_S * 1000;
    let polled = 0;
    while (Date.now() < deadline) {
      polled = polledOnce();
      if (polled >= valid.length) break;
      await sleep(2000);
    }
    note(
      `Test & Enable + first poll: ${polled}/${valid.length} mailboxes polled after ${((Date.now() - t0) / 1000).toFixed(0)} s${polled < valid.length ? ' (timeout: measuring anyway)' : ''}`,
    );

    const results: RunResult[] = [];
    for (const workers of [1, 2]) {
      if (workers === 2) {
        procs.push(startApp('apps/sync-worker/src/main.js', { ...common, SSYNC_INSTANCE_ID: 'bench-w2' }));
        note(`second worker started; ${REBALANCE_S} s for it to join and the group to rebalance`);
        await sleep(REBALANCE_S * 1000);
      }
      // Mail goes only to mailboxes that are enabled and polled (where it can be tracked); lateness is over all.
      const enabled = polledSet();
      const all = valid.map((id) => smtpOf.get(id)!);
      const probe = cpuProbe([
        { name: 'api', pid: procs[0]!.pid },
        { name: 'projector', pid: procs[1]!.pid },
        ...procs.slice(2).map((p) => ({ name: 'workers', pid: p.pid })),
      ]);
      results.push(
        await measure(
          size,
          workers,
          sim,
          all.filter((m) => enabled.has(m)),
          all,
          tracked,
          dueTimes,
          probe,
        ),
      );
    }
    return results;
  } finally {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    for (const p of procs) p.kill('SIGTERM');
    await sleep(3000);
    await sim.close();
    const admin = kafka.admin();
    await admin.connect().catch(() => undefined);
    await admin
      .deleteTopics({ topics: (await admin.listTopics()).filter((t) => t.startsWith(`${env.prefix}.`)) })
      .catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

async function measure(
  size: number,
  workers: number,
  sim: Awaited<ReturnType<typeof startSimulator>>,
  mailboxes: string[],
  allMailboxes: string[],
  tracked: Map<string, number>,
  dueTimes: Map<string, Set<number>>,
  probe: CpuProbe,
): Promise<RunResult> {
  const cpuBefore = probe();
  const before =
    (sim.admin.metrics() as { requests: { byOperation: Record<string, number> } }).requests.byOperation
      .SyncFolderItems ?? 0;
  const start = Date.now();
  const deliveries = new Map<string, number>();
  let n = 0;
  // Steady arrivals: RATE messages per second, spread over the mailboxes.
  while (Date.now() < start + WINDOW_S * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * RATE);
    for (; n < due; n++) {
      const smtp = mailboxes[(n * 7919) % mailboxes.length]!;
      const [item] = sim.admin.deliver({
        from: `sender${n % 17}@fabrikam.test`,
        to: [smtp],
        subject: `bench ${workers}w ${n}`,
        body: `<p>bench message ${n}</p>`,
      });
      deliveries.set(`${smtp}|${item!.f.InternetMessageId as string}`, Date.now());
    }
    await sleep(50);
  }
  const end = Date.now();
  const cpuAfter = probe();
  const after =
    (sim.admin.metrics() as { requests: { byOperation: Record<string, number> } }).requests.byOperation
      .SyncFolderItems ?? 0;
  // Let the last arrivals be tracked (latency is measured for the window's messages, however long they take).
  const grace = Date.now() + 60_000;
  while (Date.now() < grace && [...deliveries.keys()].some((k) => !tracked.has(k))) await sleep(500);
  const latencies = [...deliveries]
    .map(([k, at]) => (tracked.has(k) ? tracked.get(k)! - at : null))
    .filter((x): x is number => x !== null)
    .sort((a, b) => a - b);
  const untracked = deliveries.size - latencies.length;

  // Poll starts in the window (calls > 1 s after the previous one of the same mailbox), and their lateness.
  const log = sim.admin.requestLog({ operation: 'SyncFolderItems', since: start - 120_000 });
  const starts = new Map<string, number[]>();
  const lastCall = new Map<string, number>();
  for (const e of log) {
    if (!e.mailbox) continue;
    const prev = lastCall.get(e.mailbox);
    lastCall.set(e.mailbox, e.time);
    if (prev !== undefined && e.time - prev <= 1000) continue;
    let list = starts.get(e.mailbox);
    if (!list) starts.set(e.mailbox, (list = []));
    list.push(e.time);
  }
  let pollStarts = 0;
  const lateness: number[] = [];
  let notStarted = 0;
  for (const smtp of allMailboxes) {
    const s = starts.get(smtp) ?? [];
    pollStarts += s.filter((t) => t >= start && t < end).length;
    for (const due of dueTimes.get(smtp) ?? []) {
      if (due < start || due >= end) continue;
      const next = s.find((t) => t >= due - 50);
      if (next !== undefined && next < end) lateness.push(next - due);
      else {
        notStarted += 1;
        lateness.push(end - due);
      }
    }
  }
  lateness.sort((a, b) => a - b);
  const secs = (end - start) / 1000;
  const r: RunResult = {
    size,
    workers,
    enabled: mailboxes.length,
    windowS: secs,
    sfiPerS: (after - before) / secs,
    pollStartsPerS: pollStarts / secs,
    delivered: deliveries.size,
    trackedInWindow: latencies.length,
    latencyP50: percentile(latencies, 50),
    latencyP99: percentile(latencies, 99),
    duePolls: lateness.length,
    lateP50: percentile(lateness, 50),
    lateP99: percentile(lateness, 99),
    notStarted,
    cpu: Object.fromEntries(
      Object.keys(cpuAfter).map((k) => [k, (cpuAfter[k]! - (cpuBefore[k] ?? 0)) / secs]),
    ),
    workerCpuMsPerPoll:
      pollStarts > 0 ? ((cpuAfter.workers! - (cpuBefore.workers ?? 0)) * 1000) / pollStarts : NaN,
  };
  note(
    `size ${size}, ${workers} worker(s): ${r.sfiPerS.toFixed(1)} SyncFolderItems/s, ${r.pollStartsPerS.toFixed(1)} poll starts/s; ` +
      `${r.trackedInWindow}/${r.delivered} tracked (untracked after grace ${untracked}); latency p50 ${r.latencyP50} ms p99 ${r.latencyP99} ms; ` +
      `${r.duePolls} polls due, late p50 ${r.lateP50} ms p99 ${r.lateP99} ms, ${notStarted} not started by the window's end`,
  );
  return r;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const all: RunResult[] = [];
  for (const size of SIZES) all.push(...(await benchSize(size)));
  const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  out(
    `\nbench:sync — ${RATE} messages/s arriving, ${WINDOW_S} s windows, minimum polling interval 0 (worker floor 5 s), Basic auth, one impersonating service account (limit ${MAX_CONNECTIONS}); ${databaseLabel()}`,
  );
  out(
    'mailboxes | enabled | workers | SyncFolderItems/s | poll starts/s | arrival→tracked p50 ms | p99 ms | tracked/delivered | polls due | late p50 ms | late p99 ms | not started',
  );
  for (const r of all)
    out(
      `${String(r.size).padStart(9)} | ${String(r.enabled).padStart(7)} | ${String(r.workers).padStart(7)} | ${fmt(r.sfiPerS, 1).padStart(17)} | ${fmt(r.pollStartsPerS, 1).padStart(13)} | ${fmt(r.latencyP50).padStart(22)} | ${fmt(r.latencyP99).padStart(6)} | ${`${r.trackedInWindow}/${r.delivered}`.padStart(17)} | ${String(r.duePolls).padStart(9)} | ${fmt(r.lateP50).padStart(11)} | ${fmt(r.lateP99).padStart(11)} | ${r.notStarted}`,
    );
  out(
    '\nCPU during each window (cores busy, i.e. CPU seconds per second; the machine has ' +
      `${cpus().length}), and the sync workers' CPU per poll start:`,
  );
  for (const r of all)
    out(
      `${String(r.size).padStart(9)} mailboxes, ${r.workers} worker(s): ` +
        Object.entries(r.cpu)
          .map(([k, v]) => `${k} ${fmt(v, 2)}`)
          .join(', ') +
        `; database (ferretdb + postgres) ${fmt((r.cpu.ferretdb ?? 0) + (r.cpu.postgres ?? 0), 2)}` +
        `; total ${fmt(
          Object.values(r.cpu).reduce((a, b) => a + b, 0),
          2,
        )}; workers ${fmt(r.workerCpuMsPerPoll, 1)} ms per poll`,
    );
  out('\nratio two workers / one worker:');
  for (const size of SIZES) {
    const one = all.find((r) => r.size === size && r.workers === 1);
    const two = all.find((r) => r.size === size && r.workers === 2);
    if (!one || !two) continue;
    out(
      `${String(size).padStart(9)} mailboxes: SyncFolderItems/s ×${fmt(two.sfiPerS / one.sfiPerS, 2)}, poll starts/s ×${fmt(two.pollStartsPerS / one.pollStartsPerS, 2)}, ` +
        `latency p50 ×${fmt(two.latencyP50 / one.latencyP50, 2)} p99 ×${fmt(two.latencyP99 / one.latencyP99, 2)}, lateness p50 ×${fmt(two.lateP50 / one.lateP50, 2)} p99 ×${fmt(two.lateP99 / one.lateP99, 2)}`,
    );
  }
  out(`total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
