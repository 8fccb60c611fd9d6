import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
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
    return process.env.MONGODB_URI ? `MongoDB at ${process.env.MONGODB_URI}` : 'unknown MongoDB server';
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

export function startApp(entry: string, env: Record<string, string>): ChildProcess {
  const proc = spawn(process.execPath, [path.join(repoRoot(), 'dist', entry)], {
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
  const proc = spawn(process.execPath, [path.join(repoRoot(), 'dist', entry), ...(options.args ?? [])], {
    env: { ...process.env, ...env },
    stdio: ['ignore', options.pipeStdout ? 'pipe' : fd, fd],
  });
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
