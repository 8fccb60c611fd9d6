/**
 * Where a local Kafka broker's CPU goes (issue #12). Two sources, both from the broker's own JVM:
 * - counters (bench/kafka-broker-stats.java over JMX): requests per type, and the CPU time of every Java thread by
 *   name, differenced between two snapshots. Threads are grouped by role (request handlers, network threads, the
 *   transaction marker sender, …); what the process used beyond its Java threads is GC, JIT and the VM.
 * - a Java Flight Recorder profile (`jcmd <pid> JFR.start settings=profile`): execution samples, attributed to the
 *   `KafkaApis.handle…` request handler on their stack, and their top self frames.
 *
 *   node dist/bench/kafka-profile.js record <seconds> [pid]   both, over the next <seconds> (pid: .ssync/kafka.pid)
 *   node dist/bench/kafka-profile.js requests <seconds> [pid] requests/s by client, from the broker's request log
 *   node dist/bench/kafka-profile.js <file.jfr>               the profile's summary of an existing recording
 *
 * `bench:sync` with BENCH_KAFKA_JFR=1 records window 2 this way and prints the same summary.
 */
import { execFile } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const out = (line = '') => process.stdout.write(`${line}\n`);

/** One request type's counters: RequestsPerSec's count and the sums (ms) of its time histograms. */
export interface RequestCounters {
  count: number;
  localMs: number;
  totalMs: number;
  remoteMs: number;
  sendMs: number;
  queueMs: number;
}

export interface BrokerStats {
  at: number;
  requests: Record<string, RequestCounters>;
  /** `${javaThreadId}:${name}` → CPU ns used so far. */
  threads: Record<string, number>;
  processCpuNs: number;
  gcPauseMs: number;
}

/** The broker's pid as scripts/infra.mjs recorded it. */
export function kafkaPid(root = process.cwd()): number | undefined {
  try {
    return Number(readFileSync(path.join(root, '.ssync', 'kafka.pid'), 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** A snapshot of the broker's counters (a JVM of its own: ~1.5 s of CPU, outside the broker's). */
export async function brokerStats(pid: number): Promise<BrokerStats> {
  const source = path.join(process.cwd(), 'bench', 'kafka-broker-stats.java');
  const { stdout } = await run('java', [source, String(pid)], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as BrokerStats;
}

/**
 * A thread's role from its name: ids, listener names and numbers go, so that the three network threads of a
 * listener or the four request handlers count as one.
 */
export function threadRole(name: string): string {
  if (name.startsWith('data-plane-kafka-request-handler')) return 'request handlers (data plane)';
  if (/^data-plane-kafka-network-thread-\d+-ListenerName\(CONTROLLER\)/.test(name))
    return 'network threads (controller listener)';
  if (name.startsWith('data-plane-kafka-network-thread')) return 'network threads (client listeners)';
  if (name.startsWith('data-plane-kafka-socket-acceptor')) return 'socket acceptors';
  if (name.startsWith('controller-') && name.includes('request-handler'))
    return 'request handlers (controller)';
  if (name.startsWith('TxnMarkerSenderThread')) return 'transaction marker sender';
  return name
    .replace(/\d+/g, 'N')
    .replace(/ListenerName\([^)]*\)/g, '')
    .replace(/-+$/, '');
}

export interface BrokerWindow {
  secs: number;
  /** Per request type: requests/s and the handler's local time per request (ms; Kafka rounds each to 1 ms). */
  requests: { type: string; perS: number; localMsPer: number; totalMsPer: number }[];
  /** Cores by thread role, and the rest of the process (GC, JIT, VM). */
  cores: { role: string; cores: number }[];
  processCores: number;
  gcPauseMsPerS: number;
}

/** The difference of two snapshots, per second. */
export function brokerWindow(before: BrokerStats, after: BrokerStats): BrokerWindow {
  const secs = (after.at - before.at) / 1000;
  const requests = Object.entries(after.requests)
    .map(([type, a]) => {
      const b = before.requests[type];
      const n = a.count - (b?.count ?? 0);
      return {
        type,
        n,
        perS: n / secs,
        localMsPer: n > 0 ? (a.localMs - (b?.localMs ?? 0)) / n : 0,
        totalMsPer: n > 0 ? (a.totalMs - (b?.totalMs ?? 0)) / n : 0,
      };
    })
    .filter((r) => r.n > 0)
    .sort((x, y) => y.perS - x.perS)
    .map(({ type, perS, localMsPer, totalMsPer }) => ({ type, perS, localMsPer, totalMsPer }));
  const byRole = new Map<string, number>();
  let javaNs = 0;
  for (const [key, ns] of Object.entries(after.threads)) {
    // A thread that started in the window counts from 0.
    const used = ns - (before.threads[key] ?? 0);
    if (used <= 0) continue;
    javaNs += used;
    const role = threadRole(key.slice(key.indexOf(':') + 1));
    byRole.set(role, (byRole.get(role) ?? 0) + used);
  }
  const processNs = after.processCpuNs - before.processCpuNs;
  byRole.set('GC, JIT and the VM (the process less its Java threads)', Math.max(0, processNs - javaNs));
  return {
    secs,
    requests,
    cores: [...byRole]
      .map(([role, ns]) => ({ role, cores: ns / 1e9 / secs }))
      .sort((x, y) => y.cores - x.cores),
    processCores: processNs / 1e9 / secs,
    gcPauseMsPerS: (after.gcPauseMs - before.gcPauseMs) / secs,
  };
}

export interface Sample {
  thread: string;
  /** Top (leaf) frame first, as `jfr print` lists them: `package.Class.method`. */
  frames: string[];
}

/** The samples of `jfr print --events <event>` (its text form: one `jdk.… { … }` block per event). */
export function parseJfrSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  let current: Sample | null = null;
  let inStack = false;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (/^jdk\.\w+ \{$/.test(t)) {
      current = { thread: '', frames: [] };
      inStack = false;
    } else if (!current) continue;
    else if (t.startsWith('sampledThread = '))
      current.thread = /^sampledThread = "(.*)" \(/.exec(t)?.[1] ?? '';
    else if (t === 'stackTrace = [') inStack = true;
    else if (inStack && t === ']') inStack = false;
    else if (inStack && t !== '...') current.frames.push(t.replace(/\(.*$/, ''));
    else if (t === '}') {
      samples.push(current);
      current = null;
    }
  }
  return samples;
}

/** Idle waits a native sample can sit in: not CPU. */
const IDLE_NATIVE =
  /^(sun\.nio\.ch\.EPoll\.wait|jdk\.internal\.misc\.Unsafe\.park|java\.lang\.Object\.wait|java\.lang\.Thread\.sleep|sun\.nio\.ch\.Net\.accept|sun\.nio\.ch\.ServerSocketChannelImpl\.accept)/;

/**
 * What a sample was doing, by the outermost frame that names it: a KafkaApis request handler, the network
 * threads' work, the transaction marker sender, the group coordinator's runtime, log flushes and the like.
 */
export function sampleActivity(s: Sample): string {
  // Outermost first: the handler that called everything above it.
  for (let i = s.frames.length - 1; i >= 0; i -= 1) {
    const f = s.frames[i]!;
    const handler = /^kafka\.server\.KafkaApis\.(handle\w+)$/.exec(f);
    if (handler && handler[1] !== 'handle') return `KafkaApis.${handler[1]}`;
  }
  const has = (re: RegExp) => s.frames.some((f) => re.test(f));
  if (has(/^kafka\.network\.Processor\./)) {
    const step = s.frames
      .map((f) => /^kafka\.network\.Processor\.(\w+)$/.exec(f)?.[1])
      .filter((x): x is string => !!x && x !== 'run' && x !== 'poll')
      .at(-1);
    const polling = has(/^org\.apache\.kafka\.common\.network\.Selector\.poll$/);
    return `network: Processor.${step ?? (polling ? 'poll (socket reads/writes)' : 'run')}`;
  }
  if (has(/TransactionMarkerChannelManager|TxnMarkerSenderThread|InterBrokerSendThread/))
    return 'transaction marker sender';
  if (has(/^org\.apache\.kafka\.coordinator\.common\.runtime\./) || has(/GroupCoordinator/))
    return 'group coordinator runtime';
  if (has(/DelayedOperationPurgatory|DelayedFetch|DelayedProduce/))
    return 'purgatory (delayed fetch/produce)';
  if (has(/^org\.apache\.kafka\.raft\./) || has(/QuorumController|MetadataLoader/)) return 'KRaft / metadata';
  if (has(/LogCleaner/)) return 'log cleaner';
  if (has(/\.flush$|FileChannelImpl\.force/)) return 'log flush';
  return `other: ${s.thread.replace(/\d+/g, 'N')}`;
}

export interface ProfileSummary {
  samples: number;
  native: number;
  activities: [string, number][];
  selfFrames: [string, number][];
  /** The busiest frames of Kafka's own code (kafka.*, org.apache.kafka.*), counted once per sample. */
  kafkaFrames: [string, number][];
}

const top = (m: Map<string, number>, n: number): [string, number][] =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n);

/** Execution samples (Java code running) and native samples that are not an idle wait, aggregated. */
export function summarizeSamples(execution: Sample[], native: Sample[], n = 20): ProfileSummary {
  const busyNative = native.filter((s) => s.frames.length > 0 && !IDLE_NATIVE.test(s.frames[0]!));
  const all = [...execution, ...busyNative];
  const activities = new Map<string, number>();
  const self = new Map<string, number>();
  const kafka = new Map<string, number>();
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const s of all) {
    add(activities, sampleActivity(s));
    if (s.frames[0]) add(self, s.frames[0]);
    for (const f of new Set(s.frames))
      if (/^(kafka|org\.apache\.kafka)\./.test(f) && !/\.(run|doWork|handle)$/.test(f)) add(kafka, f);
  }
  return {
    samples: all.length,
    native: busyNative.length,
    activities: top(activities, n),
    selfFrames: top(self, n),
    kafkaFrames: top(kafka, n),
  };
}

/** Reads a recording's execution and native samples with the JDK's `jfr` tool. */
export async function summarizeJfr(file: string, n = 20): Promise<ProfileSummary> {
  const print = async (event: string) =>
    (
      await run('jfr', ['print', '--events', event, '--stack-depth', '64', file], {
        maxBuffer: 1024 * 1024 * 1024,
      })
    ).stdout;
  return summarizeSamples(
    parseJfrSamples(await print('jdk.ExecutionSample')),
    parseJfrSamples(await print('jdk.NativeMethodSample')),
    n,
  );
}

export function printProfile(p: ProfileSummary, write: (line?: string) => void = out): void {
  const share = (k: number) => `${((100 * k) / Math.max(1, p.samples)).toFixed(1)} %`;
  write(
    `JFR samples: ${p.samples} (${p.samples - p.native} running Java, ${p.native} in native code, not waiting)`,
  );
  const table = (title: string, rows: [string, number][]) => {
    write(`\n| ${title} | samples | share |\n|---|---|---|`);
    for (const [k, v] of rows) write(`| ${k} | ${v} | ${share(v)} |`);
  };
  table('activity (request handler, or thread role)', p.activities);
  table('top self frame', p.selfFrames);
  table("Kafka's frames (inclusive)", p.kafkaFrames);
}

export function printBrokerWindow(
  w: BrokerWindow,
  polls: number | null,
  write: (line?: string) => void = out,
): void {
  write(
    `Kafka broker over ${w.secs.toFixed(0)} s: ${w.processCores.toFixed(3)} cores, GC pauses ${w.gcPauseMsPerS.toFixed(1)} ms/s`,
  );
  write('\n| thread role | cores | share |\n|---|---|---|');
  for (const r of w.cores.filter((c) => c.cores >= 0.001))
    write(`| ${r.role} | ${r.cores.toFixed(3)} | ${((100 * r.cores) / w.processCores).toFixed(1)} % |`);
  const perPoll = polls ? ` | per poll` : '';
  write(
    `\n| request | per s${perPoll} | local ms per request (rounded per request) | total ms per request |\n|---|---|${polls ? '---|' : ''}---|---|`,
  );
  for (const r of w.requests.filter((x) => x.perS >= 0.05))
    write(
      `| ${r.type} | ${r.perS.toFixed(1)}${polls ? ` | ${(r.perS / polls).toFixed(3)}` : ''} | ${r.localMsPer.toFixed(2)} | ${r.totalMsPer.toFixed(1)} |`,
    );
}

/** One completed request from the broker's request log (kafka.request.logger at DEBUG). */
export interface LoggedRequest {
  api: string;
  /** Who sent it: the client id, and what the request names (topics and fetch settings, group, transaction). */
  client: string;
  localMs: number;
}

/** A run's prefix (`bench-sync-1a2b3c.`) and instance ids go: what stays names the role. */
const role = (name: string) =>
  name
    .replace(/^[^.]*\./, '')
    .replace(/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/(sync-worker|api|projector)-[\w-]+$/, '$1-<instance>')
    .replace(/\.\d+\.[0-9a-f]{8}$/, '.<p>.<id>')
    .replace(/\.p\d+$/, '.p<N>');

/** The requests of a stretch of the broker's log. Lines that are not a completed request are skipped. */
export function parseRequestLog(text: string): LoggedRequest[] {
  const requests: LoggedRequest[] = [];
  for (const line of text.split('\n')) {
    const at = line.indexOf('Completed request:');
    if (at < 0) continue;
    const end = line.lastIndexOf('} (kafka.request.logger)');
    let r: {
      requestHeader?: { clientId?: string; requestApiKeyName?: string };
      request?: {
        maxWaitMs?: number;
        minBytes?: number;
        topics?: { topic?: string; name?: string }[];
        groupId?: string;
        transactionalId?: string;
      };
      localTimeMs?: number;
    };
    try {
      r = JSON.parse(line.slice(at + 'Completed request:'.length, end + 1)) as typeof r;
    } catch {
      continue;
    }
    const api = r.requestHeader?.requestApiKeyName ?? '?';
    const q = r.request ?? {};
    const topics = [...new Set((q.topics ?? []).map((t) => role(t.topic ?? t.name ?? '')))].sort();
    const what =
      api === 'FETCH'
        ? `${topics.join(' + ')} (wait ${q.maxWaitMs} ms, minBytes ${q.minBytes})`
        : q.transactionalId
          ? `txn ${role(q.transactionalId)}`
          : q.groupId
            ? `group ${role(q.groupId)}`
            : topics.join(' + ');
    requests.push({
      api,
      client: `${r.requestHeader?.clientId ?? '?'}: ${what}`,
      localMs: r.localTimeMs ?? 0,
    });
  }
  return requests;
}

/** Requests/s by type and by client, and the handlers' local time (ms/s) they took. */
export function summarizeRequestLog(
  requests: LoggedRequest[],
  secs: number,
): { byApi: [string, number, number][]; byClient: [string, number, number][] } {
  const add = (m: Map<string, [number, number]>, k: string, ms: number) => {
    const v = m.get(k) ?? [0, 0];
    m.set(k, [v[0] + 1, v[1] + ms]);
  };
  const byApi = new Map<string, [number, number]>();
  const byClient = new Map<string, [number, number]>();
  for (const r of requests) {
    add(byApi, r.api, r.localMs);
    add(byClient, `${r.api} ← ${r.client}`, r.localMs);
  }
  const rows = (m: Map<string, [number, number]>): [string, number, number][] =>
    [...m]
      .map(([k, [n, ms]]): [string, number, number] => [k, n / secs, ms / secs])
      .sort((a, b) => b[1] - a[1]);
  return { byApi: rows(byApi), byClient: rows(byClient) };
}

/**
 * Has the broker log every request for `seconds` and reads them back from its log file (a few MiB a second under
 * load: keep it short, and out of a window whose CPU is compared).
 */
export async function sampleRequestLog(
  pid: number,
  seconds: number,
  logFile = path.join(process.cwd(), '.ssync', 'kafka.log'),
): Promise<{ requests: LoggedRequest[]; secs: number }> {
  const from = statSync(logFile).size;
  const source = path.join(process.cwd(), 'bench', 'kafka-broker-stats.java');
  // The JVM starts before the logging does: time the stretch between the first and the last request logged.
  await run('java', [source, String(pid), 'request-log', String(seconds)]);
  const to = statSync(logFile).size;
  const fd = openSync(logFile, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    readSync(fd, buf, 0, buf.length, from);
    return { requests: parseRequestLog(buf.toString('utf8')), secs: seconds };
  } finally {
    closeSync(fd);
  }
}

export function printRequestLog(
  sample: { requests: LoggedRequest[]; secs: number },
  polls: number | null,
  write: (line?: string) => void = out,
  n = 40,
): void {
  const { byClient } = summarizeRequestLog(sample.requests, sample.secs);
  write(
    `requests the broker logged over ${sample.secs} s (kafka.request.logger at DEBUG): ${sample.requests.length}`,
  );
  write(
    `\n| request ← client | per s${polls ? ' | per poll' : ''} | handler ms/s |\n|---|---|${polls ? '---|' : ''}---|`,
  );
  for (const [k, perS, ms] of byClient.slice(0, n))
    write(
      `| ${k} | ${perS.toFixed(1)}${polls ? ` | ${(perS / polls).toFixed(3)}` : ''} | ${ms.toFixed(1)} |`,
    );
}

export interface KafkaRecording {
  /** Stops nothing (the recording has its duration); waits for it, reads both sources and prints them. */
  finish(pollsPerS: number | null, write?: (line?: string) => void): Promise<void>;
}

/** Starts a recording of `seconds` and takes the first counters' snapshot. */
export async function recordKafka(pid: number, seconds: number, file: string): Promise<KafkaRecording> {
  rmSync(file, { force: true });
  const before = await brokerStats(pid);
  const name = `ssync-${Date.now()}`;
  await run('jcmd', [
    String(pid),
    'JFR.start',
    `name=${name}`,
    `duration=${Math.round(seconds)}s`,
    `filename=${file}`,
    'settings=profile',
  ]);
  const stopAt = Date.now() + seconds * 1000;
  return {
    async finish(pollsPerS, write = out) {
      const after = await brokerStats(pid);
      // The recording writes its file when its duration is over.
      await new Promise((r) => setTimeout(r, Math.max(0, stopAt - Date.now()) + 2000));
      await run('jcmd', [String(pid), 'JFR.stop', `name=${name}`]).catch(() => undefined);
      printBrokerWindow(brokerWindow(before, after), pollsPerS, write);
      write();
      printProfile(await summarizeJfr(file), write);
    },
  };
}

async function main(): Promise<void> {
  const [cmd, arg, pidArg] = process.argv.slice(2);
  if (cmd === 'record') {
    const pid = Number(pidArg) || kafkaPid();
    if (!pid) throw new Error('no Kafka pid: pass it, or start it with node scripts/infra.mjs up');
    const seconds = Number(arg) || 60;
    const file = path.join('/tmp', `kafka-${pid}-${Date.now()}.jfr`);
    const rec = await recordKafka(pid, seconds, file);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    await rec.finish(null);
    out(`\nrecording: ${file}`);
  } else if (cmd === 'requests') {
    const pid = Number(pidArg) || kafkaPid();
    if (!pid) throw new Error('no Kafka pid: pass it, or start it with node scripts/infra.mjs up');
    printRequestLog(await sampleRequestLog(pid, Number(arg) || 5), null);
  } else if (cmd) printProfile(await summarizeJfr(cmd));
  else throw new Error('usage: kafka-profile.js record <seconds> [pid] | kafka-profile.js <file.jfr>');
}

if (require.main === module)
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
