import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { loadKafkaSecurity, redactUri } from '@ssync/common';
import { createKafka } from '@ssync/messaging';
import { MongoClient } from 'mongodb';
import { loadInfra, repoRoot, withDatabase } from '../scripts/lib/infra';

export interface BenchEnv {
  brokers: string;
  mongoUri: string;
  prefix: string;
  env: Record<string, string>;
}

/** Real infrastructure (started or reused) and a namespace of topics and a database for this run. */
export async function benchEnv(name: string): Promise<BenchEnv> {
  const infra = await loadInfra();
  const { kafkaBrokers, mongoUri } = await infra.ensureInfra({
    log: (m) => process.stderr.write(`[infra] ${m}\n`),
    timeoutMs: 600000,
  });
  const suffix = randomBytes(3).toString('hex');
  const prefix = `bench-${name}-${suffix}`;
  const db = withDatabase(mongoUri, `bench_${name}_${suffix}`);
  return {
    brokers: kafkaBrokers,
    mongoUri: db,
    prefix,
    env: { KAFKA_BROKERS: kafkaBrokers, MONGODB_URI: db, SSYNC_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' },
  };
}

/**
 * A run's database and topics go away with it: 10,000 mailboxes are not small on the shared servers, and every
 * database kept slows the next run's server. Errors are ignored (a run that failed may have made neither).
 */
export async function cleanUpRun(env: Pick<BenchEnv, 'brokers' | 'mongoUri' | 'prefix'>): Promise<void> {
  const client = await MongoClient.connect(env.mongoUri).catch(() => null);
  if (client)
    try {
      // Collection by collection: FerretDB v1's dropDatabase can crash it (SIGBUS) while it still maps the files.
      const db = client.db();
      for (const c of await db.listCollections({}, { nameOnly: true }).toArray())
        await db.dropCollection(c.name).catch(() => undefined);
    } catch {
      // the server is away: nothing to drop now
    } finally {
      await client.close();
    }
  const admin = createKafka({
    clientId: 'bench-cleanup',
    brokers: env.brokers.split(','),
    silent: true,
    ...loadKafkaSecurity(),
  }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${env.prefix}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch {
    // the broker is away: nothing to delete now
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** What serves MongoDB in this run, from the infra's record (.ssync/infra.json): printed with every result. */
export function databaseLabel(): string {
  try {
    const info = JSON.parse(readFileSync(path.join(repoRoot(), '.ssync', 'infra.json'), 'utf8')) as {
      mode?: string;
      mongo?: { backend?: string };
      postgres?: { version?: string } | null;
    };
    if (info.mode !== 'local') return `MongoDB server of infra mode ${info.mode ?? 'unknown'}`;
    const backend = info.mongo?.backend ?? 'sqlite';
    return backend === 'postgresql'
      ? `FerretDB v1.24.2 on PostgreSQL ${info.postgres?.version ?? '?'}`
      : `FerretDB v1.24.2 on ${backend}`;
  } catch {
    return process.env.MONGODB_URI
      ? `MongoDB at ${redactUri(process.env.MONGODB_URI)}`
      : 'unknown MongoDB server';
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** BENCH_NODE_ARGS: options for every app's node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile a run. */
function nodeArgs(): string[] {
  return (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
}

export function startApp(entry: string, env: Record<string, string>): ChildProcess {
  const proc = spawn(process.execPath, [...nodeArgs(), path.join(repoRoot(), 'dist', entry)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return proc;
}

export async function waitHttp(url: string, timeoutMs = 120000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready`);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs `task` `total` times with `concurrency` in flight; returns per-call latencies (ms) and the wall time. */
export async function load(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; seconds: number; errors: number }> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const s = process.hrtime.bigint();
        try {
          await task(i);
        } catch {
          errors += 1;
        }
        latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
    }),
  );
  return {
    latencies: latencies.sort((a, b) => a - b),
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    errors,
  };
}

/**
 * Like `startApp`, with arguments, and the app's stdout and stderr appended to `logFile` (a bench keeps its own
 * output readable and can still show what an app said). With `pipeStdout`, stdout is also handed to the caller.
 */
export function startAppLogged(
  entry: string,
  env: Record<string, string>,
  logFile: string,
  options: { args?: string[]; pipeStdout?: boolean } = {},
): ChildProcess {
  const fd = openSync(logFile, 'a');
  const proc = spawn(
    process.execPath,
    [...nodeArgs(), path.join(repoRoot(), 'dist', entry), ...(options.args ?? [])],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', options.pipeStdout ? 'pipe' : fd, fd],
    },
  );
  closeSync(fd);
  if (options.pipeStdout) proc.stdout?.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
  return proc;
}

/** Resident and peak resident memory (MiB) of a live process, from /proc (Linux); null when unknown. */
export function memoryMiB(pid: number | undefined): { rss: number; peak: number } | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`: a graceful stop lets the app leave its consumer groups. */
export async function stopProcess(proc: ChildProcess, graceMs = 30000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** One sample of the Prometheus text exposition format. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function promValue(text: string | undefined): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** Samples of a Prometheus text answer (counters, gauges, histogram series); comments and types are skipped. */
export function parsePrometheus(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let i = 0;
    while (i < line.length && line[i] !== '{' && line[i] !== ' ' && line[i] !== '\t') i++;
    const name = line.slice(0, i);
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      for (;;) {
        while (line[i] === ' ' || line[i] === ',') i++;
        if (line[i] === '}') {
          i++;
          break;
        }
        const eq = line.indexOf('=', i);
        if (eq < 0 || line[eq + 1] !== '"') throw new Error(`metrics: malformed labels in ${line}`);
        const key = line.slice(i, eq).trim();
        let value = '';
        for (i = eq + 2; i < line.length && line[i] !== '"'; i++) {
          if (line[i] === '\\') {
            i++;
            value += line[i] === 'n' ? '\n' : (line[i] ?? '');
          } else value += line[i];
        }
        if (i >= line.length) throw new Error(`metrics: unterminated label value in ${line}`);
        i++;
        labels[key] = value;
      }
    }
    samples.push({ name, labels, value: promValue(line.slice(i).trim().split(/\s+/)[0]) });
  }
  return samples;
}

/** GET a /metrics answer; null when the process does not answer (not up yet, or gone). */
export async function scrapeMetrics(url: string, timeoutMs = 5000): Promise<PromSample[] | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    return parsePrometheus(await res.text());
  } catch {
    return null;
  }
}

const seriesKey = (s: PromSample) =>
  `${s.name}${JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b)))}`;

/**
 * Counter and histogram increase of one process between two scrapes: a series missing before counts from zero
 * (as does a process that was not up), and one that went down restarted from zero.
 */
export function promDelta(before: PromSample[] | null, after: PromSample[] | null): PromSample[] {
  if (!after) return [];
  const prev = new Map((before ?? []).map((s) => [seriesKey(s), s.value]));
  return after.map((s) => {
    const p = prev.get(seriesKey(s)) ?? 0;
    return { ...s, value: s.value >= p ? s.value - p : s.value };
  });
}

/** Sum of a metric's samples, grouped by the values of `by` (joined with "/"; "" when `by` is empty). */
export function promSumBy(samples: PromSample[], name: string, by: string[] = []): Map<string, number> {
  const sums = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = by.map((l) => s.labels[l] ?? '').join('/');
    sums.set(key, (sums.get(key) ?? 0) + s.value);
  }
  return sums;
}

export const promSum = (samples: PromSample[], name: string): number => promSumBy(samples, name).get('') ?? 0;

/** A histogram's cumulative buckets (summed over every other label), ascending, the last one +Inf. */
export function promHistogram(samples: PromSample[], name: string): { le: number; count: number }[] {
  const byLe = promSumBy(samples, `${name}_bucket`, ['le']);
  return [...byLe].map(([le, count]) => ({ le: promValue(le), count })).sort((a, b) => a.le - b.le);
}

/**
 * The q-quantile of cumulative buckets, interpolated linearly inside its bucket (from 0 in the first), as
 * Prometheus' histogram_quantile; in the +Inf bucket the value is the highest finite bound, with `inf` set.
 * Null without observations.
 */
export function histogramQuantile(
  buckets: { le: number; count: number }[],
  q: number,
): { value: number; inf: boolean } | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let lowerCount = 0;
  for (const b of buckets) {
    if (b.count >= rank && b.count > lowerCount) {
      if (b.le === Infinity) return { value: lower, inf: true };
      return { value: lower + ((b.le - lower) * (rank - lowerCount)) / (b.count - lowerCount), inf: false };
    }
    lower = b.le;
    lowerCount = b.count;
  }
  return { value: lower, inf: true };
}
