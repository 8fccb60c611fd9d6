/**
 * `npm run bench:smoke`: every `bench:*` script once, at sizes that take seconds, one after another on the same
 * broker — so a change that breaks a benchmark fails CI, not the next person who measures (issue #12). It checks
 * that each runs to the end and exits 0; the numbers at these sizes mean nothing. `npm test` runs it as its last
 * tier.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './lib/infra';

/** Each benchmark's knobs at their smallest useful values (see the doc comment of each bench file). */
export const SMOKE_RUNS: { name: string; entry: string; env: Record<string, string> }[] = [
  {
    name: 'bench:simulator',
    entry: 'bench/simulator.js',
    env: { BENCH_MAILBOXES: '200', BENCH_MESSAGES: '5', BENCH_SECONDS: '1', BENCH_CONCURRENCY: '4' },
  },
  {
    name: 'bench:commands',
    entry: 'bench/commands.js',
    env: { BENCH_CONCURRENCY: '1,4', BENCH_REQUESTS: '20' },
  },
  {
    name: 'bench:mailboxes',
    entry: 'bench/mailboxes.js',
    env: { BENCH_MAILBOXES: '60', BENCH_QUERIES: '5', BENCH_DB_QUERIES: '2' },
  },
  {
    name: 'bench:sync',
    entry: 'bench/sync.js',
    env: {
      BENCH_MAILBOXES: '40',
      BENCH_INTERVAL_MINUTES: '0',
      BENCH_WINDOW_S: '12',
      BENCH_GRACE_S: '40',
      BENCH_RATE: '2',
      BENCH_FIRST_POLL_TIMEOUT_S: '90',
    },
  },
  {
    name: 'bench:history',
    entry: 'bench/history.js',
    env: {
      BENCH_MAILBOXES: '30',
      BENCH_DAYS: '1',
      BENCH_EMAILS_PER_DAY: '2',
      BENCH_POLL_SAMPLE: '0.05',
    },
  },
];

function main(): void {
  const root = repoRoot();
  const only = process.argv.slice(2);
  let failed = 0;
  let ran = 0;
  for (const run of SMOKE_RUNS) {
    if (only.length > 0 && !only.includes(run.name)) continue;
    ran += 1;
    const t0 = Date.now();
    process.stdout.write(`\n--- ${run.name} ${JSON.stringify(run.env)}\n`);
    const res = spawnSync(process.execPath, [path.join(root, 'dist', run.entry)], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ...run.env },
      timeout: 600_000,
    });
    const status = res.status ?? res.signal;
    process.stdout.write(`--- ${run.name}: exit ${status} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    if (res.status !== 0) failed += 1;
  }
  process.stdout.write(`\nbench smoke: ${ran - failed} passed, ${failed} failed\n`);
  process.exit(failed === 0 ? 0 : 1);
}

if (require.main === module) main();
