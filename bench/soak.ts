/**
 * `npm run soak` (issue #11): the whole stack on a Kafka, PostgreSQL and FerretDB of its own (own ports and state
 * directory), the Exchange simulator in this process, the API, the projector and two sync workers as processes,
 * SOAK_MAILBOXES (1,000) mailboxes behind one profile, and steady traffic for SOAK_MINUTES (30): SOAK_RATE (1)
 * messages a second delivered to the enabled mailboxes in turn, and an outgoing email queued every SOAK_SEND_EVERY_S
 * (10) seconds. At a quarter, a half and three quarters of the time it injects one outage of each kind for
 * SOAK_OUTAGE_S (40) seconds: Kafka SIGKILLed and started again, FerretDB SIGKILLed and started again, Exchange
 * answering 503, then resetting connections, then slow. A role that exits is started again, as `npm start` does,
 * and counted.
 *
 * It prints every SOAK_SAMPLE_S (60) seconds the RSS of each process and the audited events written in the
 * interval, then, after the traffic stops and everything is tracked and sent (or SOAK_DRAIN_S, 600, passed):
 * audited events per hour, messages delivered / tracked once / lost / tracked twice, emails queued / sent once /
 * lost / sent twice (from the committed event log), the process exits, and the administrators' alerts. It exits 1
 * if anything was lost or done twice, or a role exited. App logs: .ssync/logs/soak-<id>-<role>.log.
 */
import { ChildProcess, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startSimulator } from '../apps/exchange-simulator/src/index';
import { freePort, load, memoryMiB, startAppLogged, stopProcess } from './lib';
import { ownInfraPorts, repoRoot } from '../scripts/lib/infra';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const MAILBOXES = num('SOAK_MAILBOXES', 1000);
const MINUTES = num('SOAK_MINUTES', 30);
const RATE = num('SOAK_RATE', 1);
const SEND_EVERY_S = num('SOAK_SEND_EVERY_S', 10);
const OUTAGE_S = num('SOAK_OUTAGE_S', 40);
const SAMPLE_S = num('SOAK_SAMPLE_S', 60);
const DRAIN_S = num('SOAK_DRAIN_S', 600);
const ENABLE_TIMEOUT_S = num('SOAK_ENABLE_TIMEOUT_S', 900);

const out = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) =>
  process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(0));

type Reply = { status: number; body: Record<string, any> };

interface Role {
  name: string;
  entry: string;
  env: Record<string, string>;
  proc: ChildProcess;
  exits: number;
}

async function main(): Promise<void> {
  const id = randomBytes(3).toString('hex');
  const root = repoRoot();
  const stateDir = path.join(root, '.ssync', `soak-${id}`);
  const logDir = path.join(root, '.ssync', 'logs');
  mkdirSync(logDir, { recursive: true });
  const own = await ownInfraPorts();
  const ports = { kafka: own.kafka, mongo: own.mongo, api: await freePort() };
  const infraEnv: NodeJS.ProcessEnv = {
    ...process.env,
    SSYNC_INFRA: 'local',
    SSYNC_STATE_DIR: stateDir,
    ...own.env,
  };
  delete infraEnv.KAFKA_BROKERS;
  delete infraEnv.MONGODB_URI;
  const infra = (command: 'up' | 'down') => {
    const run = spawnSync(process.execPath, [path.join(root, 'scripts/infra.mjs'), command], {
      env: infraEnv,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (run.status !== 0) throw new Error(`infra ${command} failed: ${run.stdout}\n${run.stderr}`);
  };
  const pidOf = (file: string) => {
    try {
      return Number(readFileSync(path.join(stateDir, file), 'utf8').trim());
    } catch {
      return undefined;
    }
  };

  note(`infrastructure of its own in ${stateDir}`);
  infra('up');
  const brokers = `127.0.0.1:${ports.kafka}`;
  const prefix = `soak-${id}`;
  const token = `soak-${randomBytes(12).toString('hex')}`;
  const sim = await startSimulator({ port: 0, maxConcurrency: 0 });
  sim.admin.createAccount({ userName: 'svc-soak', password: 'Svc-Passw0rd!', domain: 'CONTOSO' });
  sim.admin.generate({ mailboxCount: MAILBOXES, messagesPerMailbox: 0, domain: 'soak.test', prefix: 'm' });
  sim.admin.grantImpersonation({ userName: 'svc-soak', mailboxes: 'all' });

  const common = {
    KAFKA_BROKERS: brokers,
    MONGODB_URI: `mongodb://127.0.0.1:${ports.mongo}/soak_${id}`,
    SSYNC_TOPIC_PREFIX: prefix,
    SSYNC_PARTITIONS: '12',
    SSYNC_DEV_TOKEN: token,
    LOG_LEVEL: 'warn',
    ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: '1',
  };
  const roles: Role[] = [];
  let stopping = false;
  const spawnRole = (role: Omit<Role, 'proc' | 'exits'> & { exits?: number }): Role => {
    const r: Role = {
      ...role,
      exits: role.exits ?? 0,
      proc: startAppLogged(role.entry, role.env, path.join(logDir, `soak-${id}-${role.name}.log`)),
    };
    r.proc.once('exit', (code, signal) => {
      if (stopping) return;
      r.exits += 1;
      note(`${r.name} exited (${signal ?? code}); starting it again`);
      setTimeout(() => {
        if (stopping) return;
        const again = spawnRole(r);
        roles[roles.indexOf(r)] = again;
      }, 1000);
    });
    return r;
  };
  roles.push(
    spawnRole({ name: 'api', entry: 'apps/api/src/main.js', env: { ...common, PORT: String(ports.api) } }),
    spawnRole({ name: 'projector', entry: 'apps/projector/src/main.js', env: common }),
    spawnRole({
      name: 'worker-1',
      entry: 'apps/sync-worker/src/main.js',
      env: { ...common, SSYNC_INSTANCE_ID: `soak-${id}-w1` },
    }),
    spawnRole({
      name: 'worker-2',
      entry: 'apps/sync-worker/src/main.js',
      env: { ...common, SSYNC_INSTANCE_ID: `soak-${id}-w2` },
    }),
  );

  const base = `http://127.0.0.1:${ports.api}`;
  const call = async (method: string, url: string, body?: unknown, key?: string): Promise<Reply> => {
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
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
    } catch {
      return { status: 0, body: {} };
    }
  };
  const until = async (what: string, seconds: number, probe: () => Promise<boolean>) => {
    const deadline = Date.now() + seconds * 1000;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
      await sleep(1000);
    }
  };

  const kafka = new Kafka({ clientId: `soak-${id}`, brokers: [brokers], logLevel: logLevel.NOTHING });
  const follower = kafka.consumer({ groupId: `${prefix}.soak-follower`, retry: { retries: 1000 } });
  try {
    await until('the API ready', 300, async () => (await call('GET', '/health/ready')).status === 200);

    // --- Set-up: a profile, the organization's defaults, the mailboxes, Test & Enable. ---
    const profile = await call('POST', '/api/v1/email-server-profiles', {
      name: 'Soak Exchange',
      incomingServerLocation: sim.ewsUrl,
      outgoingServerLocation: sim.ewsUrl,
      authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
      userName: 'CONTOSO\\svc-soak',
      password: 'Svc-Passw0rd!',
      incomingAuthenticationProtocol: 'Basic',
      outgoingAuthenticationProtocol: 'Basic',
      minimumPollingIntervalMinutes: 1,
      maxConcurrentConnections: 64,
    });
    if (profile.status !== 201) throw new Error(`profile ${profile.status} ${JSON.stringify(profile.body)}`);
    const sss = {
      incomingEmailDeliveryMethod: 'ServerSideSync',
      outgoingEmailDeliveryMethod: 'ServerSideSync',
      actDeliveryMethod: 'None',
    };
    const org = await call('PUT', '/api/v1/organization/email-settings', {
      defaultServerProfileId: profile.body.id,
      ...sss,
      processEmailsOnlyForApprovedUsers: false,
      processEmailsOnlyForApprovedQueues: false,
    });
    if (org.status !== 200) throw new Error(`settings ${org.status} ${JSON.stringify(org.body)}`);
    const ids = new Array<string>(MAILBOXES);
    const smtpOf = new Map<string, string>();
    const provisioned = await load(MAILBOXES, 32, async (i) => {
      const smtp = `m${i + 1}@soak.test`;
      const res = await call('POST', '/api/v1/mailboxes', {
        kind: 'User',
        name: `Soak ${i + 1}`,
        emailAddress: smtp,
        ownerId: `owner-${i % 50}`,
        serverProfileId: profile.body.id,
        ...sss,
      });
      if (res.status !== 201) throw new Error(`provision ${res.status} ${JSON.stringify(res.body)}`);
      ids[i] = res.body.id as string;
      smtpOf.set(res.body.id as string, smtp);
    });
    note(`provisioned ${MAILBOXES} mailboxes in ${provisioned.seconds.toFixed(1)} s`);
    const job = await call('POST', '/api/v1/mailboxes/test-and-enable', { mailboxIds: ids });
    if (job.status !== 202) throw new Error(`test-and-enable ${job.status} ${JSON.stringify(job.body)}`);
    const t0 = Date.now();
    // The job asks; the workers test. Enabled: Success with outgoing email on, and polled once: without Process
    // Email From, tracking starts at a mailbox's first poll, so mail delivered before it is not for ssync.
    const enabledNow = async (): Promise<string[]> => {
      const found: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await call(
          'GET',
          `/api/v1/mailboxes?mailboxStatus=Success&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        for (const m of (page.body.items ?? []) as {
          id: string;
          enabledForOutgoingEmail: boolean;
          lastSyncAt: string | null;
        }[])
          if (m.enabledForOutgoingEmail && m.lastSyncAt !== null) found.push(m.id);
        cursor = (page.body.nextCursor as string | null | undefined) ?? null;
      } while (cursor);
      return found;
    };
    let enabled: string[] = [];
    let lastChange = Date.now();
    await until('Test & Enable', ENABLE_TIMEOUT_S, async () => {
      const now = await enabledNow();
      if (now.length !== enabled.length) lastChange = Date.now();
      enabled = now;
      // All of them, or no progress for a minute (the rest failed, or are retried much later).
      return enabled.length === MAILBOXES || (enabled.length > 0 && Date.now() - lastChange > 60_000);
    });
    enabled.sort();
    note(
      `Test & Enable done in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${enabled.length} of ${MAILBOXES} enabled`,
    );
    if (enabled.length === 0) throw new Error('no mailbox enabled');

    // --- Followers: every committed audited event; tracked and sent email. ---
    const admin = kafka.admin();
    await admin.connect();
    const eventTopics = (await admin.listTopics()).filter(
      (t) => t.startsWith(`${prefix}.`) && t.endsWith('.events'),
    );
    await admin.disconnect();
    let eventsSeen = 0;
    const tracked = new Map<string, number>(); // `${smtp}|${subject}` → times
    const sent = new Map<string, number>(); // activity id → times
    await follower.connect();
    await follower.subscribe({ topics: eventTopics, fromBeginning: true });
    await follower.run({
      eachMessage: async ({ message }) => {
        eventsSeen += 1;
        const e = JSON.parse(message.value?.toString('utf8') ?? '{}') as {
          type?: string;
          aggregateId?: string;
          payload?: Record<string, unknown>;
        };
        if (e.type === 'IncomingEmailTracked') {
          const key = `${smtpOf.get(String(e.payload?.mailboxId))}|${String(e.payload?.subject)}`;
          tracked.set(key, (tracked.get(key) ?? 0) + 1);
        } else if (e.type === 'OutgoingEmailSent' && e.aggregateId)
          sent.set(e.aggregateId, (sent.get(e.aggregateId) ?? 0) + 1);
        await Promise.resolve();
      },
    });

    // --- Steady traffic, outages on a schedule, samples. ---
    const delivered = new Set<string>(); // `${smtp}|${subject}`
    const queued: string[] = []; // activity ids
    const queueErrors: string[] = [];
    const started = Date.now();
    const end = started + MINUTES * 60_000;
    const outages: { kind: string; at: number; seconds: number }[] = [];
    const samples: { minute: number; rss: Record<string, number | null>; events: number }[] = [];
    let lastEvents = eventsSeen;
    const sample = () => {
      const rss: Record<string, number | null> = {};
      for (const r of roles) rss[r.name] = memoryMiB(r.proc.pid)?.rss ?? null;
      rss.kafka = memoryMiB(pidOf('kafka.pid'))?.rss ?? null;
      rss.ferretdb = memoryMiB(pidOf('ferretdb.pid'))?.rss ?? null;
      rss.postgres = memoryMiB(pidOf('postgres.pid'))?.rss ?? null;
      samples.push({ minute: (Date.now() - started) / 60_000, rss, events: eventsSeen - lastEvents });
      lastEvents = eventsSeen;
      note(
        `${((Date.now() - started) / 60_000).toFixed(1)} min: delivered ${delivered.size}, tracked ${tracked.size}, queued ${queued.length}, sent ${sent.size}; RSS ${Object.entries(
          rss,
        )
          .map(([k, v]) => `${k} ${mib(v)}`)
          .join(', ')}`,
      );
    };
    sample();
    const outage = async (kind: 'kafka' | 'mongodb' | 'exchange') => {
      const at = Date.now();
      note(`outage: ${kind} for ${OUTAGE_S} s`);
      if (kind === 'exchange') {
        for (const fault of ['http503', 'connectionReset', 'latency'] as const) {
          sim.admin.addFault({ kind: fault, ...(fault === 'latency' ? { latencyMs: 3000 } : {}) });
          await sleep((OUTAGE_S * 1000) / 3);
          sim.admin.clearFaults();
        }
      } else {
        const pid = pidOf(kind === 'kafka' ? 'kafka.pid' : 'ferretdb.pid');
        if (pid) process.kill(pid, 'SIGKILL');
        await sleep(OUTAGE_S * 1000);
        infra('up');
      }
      outages.push({ kind, at: at - started, seconds: (Date.now() - at) / 1000 });
      note(`outage: ${kind} over`);
    };
    const schedule: ['kafka' | 'mongodb' | 'exchange', number][] = [
      ['kafka', started + (end - started) / 4],
      ['mongodb', started + (end - started) / 2],
      ['exchange', started + ((end - started) * 3) / 4],
    ];
    const running: Promise<void>[] = [];
    let n = 0;
    let sends = 0;
    let nextSample = started + SAMPLE_S * 1000;
    while (Date.now() < end) {
      const now = Date.now();
      for (; n < Math.floor(((now - started) / 1000) * RATE); n++) {
        const smtp = smtpOf.get(enabled[(n * 7919) % enabled.length]!)!;
        const subject = `soak-${n}`;
        sim.admin.deliver({
          from: `sender${n % 17}@fabrikam.test`,
          to: [smtp],
          subject,
          body: `<p>${n}</p>`,
        });
        delivered.add(`${smtp}|${subject}`);
      }
      for (; sends < Math.floor((now - started) / 1000 / SEND_EVERY_S); sends++) {
        const k = sends;
        running.push(
          (async () => {
            const from = enabled[(k * 31) % enabled.length]!;
            const to = smtpOf.get(enabled[(k * 31 + 1) % enabled.length]!)!;
            for (;;) {
              const res = await call(
                'POST',
                '/api/v1/email-activities',
                {
                  mailboxId: from,
                  direction: 'Outgoing',
                  to: [to],
                  subject: `soak-out-${k}`,
                  body: 'soak',
                  bodyType: 'Text',
                },
                `${prefix}-out-${k}`,
              );
              if (res.status === 202 || res.status === 200) return void queued.push(res.body.id as string);
              if (res.status !== 0 && res.status !== 503 && res.status !== 504)
                return void queueErrors.push(`${k}: ${res.status} ${JSON.stringify(res.body)}`);
              await sleep(2000);
            }
          })(),
        );
      }
      const due = schedule.find(([, at]) => at <= now);
      if (due) {
        schedule.splice(schedule.indexOf(due), 1);
        running.push(outage(due[0]));
      }
      if (now >= nextSample) {
        sample();
        nextSample += SAMPLE_S * 1000;
      }
      await sleep(100);
    }
    await Promise.all(running);
    const trafficEnd = Date.now();
    note(
      `traffic over: ${delivered.size} delivered, ${queued.length} queued; draining (at most ${DRAIN_S} s)`,
    );
    const drainEnd = Date.now() + DRAIN_S * 1000;
    while (
      Date.now() < drainEnd &&
      ([...delivered].some((k) => !tracked.has(k)) || queued.some((a) => !sent.has(a)))
    ) {
      if (Date.now() >= nextSample) {
        sample();
        nextSample += SAMPLE_S * 1000;
      }
      await sleep(1000);
    }
    const drained = (Date.now() - trafficEnd) / 1000;
    await sleep(10_000); // a second copy would show now
    sample();
    const alerts = ((await call('GET', '/api/v1/service-alerts')).body.items ?? []) as { message: string }[];

    // --- Report. ---
    const lost = [...delivered].filter((k) => !tracked.has(k));
    const twice = [...tracked].filter(([, c]) => c > 1);
    const unsent = queued.filter((a) => !sent.has(a));
    const sentTwice = [...sent].filter(([, c]) => c > 1);
    const exits = roles.map((r) => `${r.name} ${r.exits}`).join(', ');
    const hours = (Date.now() - started) / 3_600_000;
    const names = Object.keys(samples[0]!.rss);
    out(
      `\nsoak: ${MAILBOXES} mailboxes (${enabled.length} enabled), ${MINUTES} min of traffic (${RATE} message/s, an outgoing email every ${SEND_EVERY_S} s), then ${drained.toFixed(0)} s to drain; 2 sync workers; 2 cores`,
    );
    out(
      `outages (at min:s into the traffic): ${outages.map((o) => `${o.kind} at ${Math.floor(o.at / 60_000)}:${String(Math.floor((o.at % 60_000) / 1000)).padStart(2, '0')} for ${o.seconds.toFixed(0)} s`).join('; ')}`,
    );
    out('\nRSS (MiB) and audited events per interval:');
    out(`  min | ${names.map((k) => k.padStart(9)).join(' | ')} | events`);
    for (const s of samples)
      out(
        `${s.minute.toFixed(1).padStart(5)} | ${names.map((k) => mib(s.rss[k]).padStart(9)).join(' | ')} | ${s.events}`,
      );
    out(
      `\naudited events: ${eventsSeen} in ${(hours * 60).toFixed(0)} min, ${(eventsSeen / hours).toFixed(0)} per hour (set-up included)`,
    );
    out(
      `messages: delivered ${delivered.size}, tracked once ${delivered.size - lost.length - twice.length}, lost ${lost.length}, tracked twice ${twice.length}`,
    );
    out(
      `outgoing email: queued ${queued.length}, sent once ${queued.length - unsent.length - sentTwice.length}, not sent ${unsent.length}, sent twice ${sentTwice.length}; queue requests refused ${queueErrors.length}`,
    );
    out(`role exits: ${exits}`);
    out(`administrators' alerts (${alerts.length}):${alerts.map((a) => `\n  ${a.message}`).join('')}`);
    const ok =
      lost.length === 0 &&
      twice.length === 0 &&
      unsent.length === 0 &&
      sentTwice.length === 0 &&
      queueErrors.length === 0 &&
      roles.every((r) => r.exits === 0);
    if (!ok) {
      if (lost.length) {
        // Untracked: lost, or its mailbox's next poll (idle back-off, up to 8 intervals) is not due yet?
        const idOf = new Map([...smtpOf].map(([mailboxId, smtp]) => [smtp, mailboxId]));
        const due = new Map<string, string>();
        for (const smtp of new Set(lost.map((k) => k.split('|')[0]!))) {
          const m = (await call('GET', `/api/v1/mailboxes/${idOf.get(smtp)!}`)).body;
          due.set(smtp, String(m.nextSyncDueAt));
        }
        const notDue = lost.filter((k) => Date.parse(due.get(k.split('|')[0]!)!) > Date.now());
        out(
          `untracked: ${lost.length}, of which ${notDue.length} in a mailbox whose next poll is not due yet`,
        );
        out(
          `untracked, e.g.: ${lost
            .slice(0, 10)
            .map((k) => `${k} (next poll ${due.get(k.split('|')[0]!)})`)
            .join(', ')}`,
        );
      }
      if (queueErrors.length) out(`queue errors, e.g.: ${queueErrors.slice(0, 5).join('; ')}`);
    }
    out(ok ? '\nsoak passed' : '\nsoak FAILED');
    process.exitCode = ok ? 0 : 1;
  } finally {
    stopping = true;
    await follower.disconnect().catch(() => undefined);
    await Promise.all(roles.map((r) => stopProcess(r.proc)));
    await sim.close();
    try {
      infra('down');
    } finally {
      if (process.env.SOAK_KEEP !== '1') rmSync(stateDir, { recursive: true, force: true });
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
