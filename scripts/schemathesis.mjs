#!/usr/bin/env node
/**
 * `npm run api:fuzz` (issue #13's quality bar): Schemathesis against the API's own OpenAPI document. It finds no
 * 5xx, no status code the document does not list, no request against the schema accepted, no response outside its
 * schema — or this exits non-zero with Schemathesis's report.
 *
 * It runs the built API, projector and sync worker (`dist/`, so `npm run build` first; the npm script does) as
 * processes on the local Kafka and MongoDB-compatible server (`scripts/infra.mjs` starts them if they are not
 * answering, and leaves them running), on topics and a database of their own that it removes afterwards. Their
 * output goes to test-results/schemathesis/<role>.log. scripts/schemathesis.toml holds what the document cannot say
 * (cursors are opaque).
 *
 * Schemathesis lives in a venv under .cache/ (pinned, installed on first use from PyPI).
 *
 * Knobs: SSYNC_FUZZ_MAX_EXAMPLES (examples per operation and phase, default 25), SSYNC_FUZZ_WORKERS (default 1),
 * SSYNC_FUZZ_MAX_TIME (seconds for the whole run, default 480), SSYNC_FUZZ_CHECKS (default all), SSYNC_FUZZ_PHASES (default examples,coverage,fuzzing), SSYNC_FUZZ_SEED,
 * SSYNC_FUZZ_ARGS (anything more for `st run`, space separated), SCHEMATHESIS (an `st` binary to use instead).
 * The report (JUnit XML) goes to test-results/schemathesis/.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInfra } from './infra.mjs';

const SCHEMATHESIS_VERSION = '4.32.5';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const venv = path.join(root, '.cache', 'schemathesis');
const reportDir = path.join(root, 'test-results', 'schemathesis');
const env = process.env;

function log(line) {
  process.stdout.write(`[api:fuzz] ${line}\n`);
}

/** The pinned Schemathesis, installed into .cache/schemathesis on first use. */
function schemathesis() {
  if (env.SCHEMATHESIS) return env.SCHEMATHESIS;
  const st = path.join(venv, 'bin', 'st');
  const version = existsSync(st) ? (spawnSync(st, ['--version'], { encoding: 'utf8' }).stdout ?? '') : '';
  if (!version.includes(SCHEMATHESIS_VERSION)) {
    log(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${path.relative(root, venv)}`);
    const steps = [
      ['python3', ['-m', 'venv', venv]],
      [path.join(venv, 'bin', 'pip'), ['install', '--quiet', `schemathesis==${SCHEMATHESIS_VERSION}`]],
    ];
    for (const [cmd, args] of steps) {
      const r = spawnSync(cmd, args, { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
    }
  }
  return st;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url, api, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (api.exitCode !== null) throw new Error(`the API exited (${api.exitCode}) before it was ready`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} not ready after ${timeoutMs / 1000} s`);
}

/** Drops the run's database and topics; the shared servers stay up. */
async function cleanUp(brokers, mongoUri, prefix) {
  const { MongoClient } = await import('mongodb');
  const { Kafka, logLevel } = await import('kafkajs');
  const client = new MongoClient(mongoUri);
  try {
    await client.connect();
    await client.db().dropDatabase();
  } finally {
    await client.close();
  }
  const admin = new Kafka({ clientId: 'api-fuzz', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (topics.length) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

async function main() {
  const entry = (role) => path.join(root, 'dist', 'apps', role, 'src', 'main.js');
  for (const role of ['api', 'projector', 'sync-worker'])
    if (!existsSync(entry(role)))
      throw new Error(`${entry(role)} is missing: run npm run build (npm run api:fuzz does)`);
  const st = schemathesis();
  const infra = await ensureInfra({ log: (m) => log(`infra: ${m}`), timeoutMs: 180_000 });

  const suffix = randomBytes(3).toString('hex');
  const prefix = `fuzz-${suffix}`;
  const mongo = new URL(infra.mongoUri);
  mongo.pathname = `/fuzz_${suffix}`;
  const port = await freePort();
  const token = `dev-${randomBytes(16).toString('hex')}`;
  const base = `http://127.0.0.1:${port}`;
  mkdirSync(reportDir, { recursive: true });
  const roleEnv = {
    ...env,
    KAFKA_BROKERS: infra.kafkaBrokers,
    MONGODB_URI: mongo.toString(),
    SSYNC_TOPIC_PREFIX: prefix,
    SSYNC_PARTITIONS: '2',
    SSYNC_DEV_TOKEN: token,
    PORT: String(port),
    LOG_LEVEL: 'error',
    // The fuzzer speaks plain HTTP; credentials in a body should reach validation, not P-6's refusal.
    ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: '1',
  };
  // The sync worker decides mailbox commands and the projector makes writes readable: without them every
  // mailbox write would wait for its outcome until the API's timeout.
  const roles = ['api', 'projector', 'sync-worker'].map((role, i) => {
    const log = createWriteStream(path.join(reportDir, `${role}.log`));
    const proc = spawn(process.execPath, [entry(role)], {
      // The projector's and the worker's health listeners on any free port: several runs may share the machine.
      env: {
        ...roleEnv,
        ...(i > 0 ? { HEALTH_PORT: '0' } : {}),
        ...(role === 'sync-worker' ? { SSYNC_INSTANCE_ID: `fuzz-${suffix}` } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout.pipe(log);
    proc.stderr.pipe(log);
    return proc;
  });
  const api = roles[0];
  let code = 1;
  try {
    await waitReady(`${base}/health/ready`, api, 120_000);
    log(`API ready at ${base}`);
    const args = [
      '--config-file',
      path.join(root, 'scripts', 'schemathesis.toml'),
      'run',
      `${base}/api/openapi.json`,
      '--url',
      base,
      '--header',
      `Authorization: Bearer ${token}`,
      '--checks',
      env.SSYNC_FUZZ_CHECKS ?? 'all',
      '--phases',
      env.SSYNC_FUZZ_PHASES ?? 'examples,coverage,fuzzing',
      '--max-examples',
      env.SSYNC_FUZZ_MAX_EXAMPLES ?? '25',
      '--workers',
      env.SSYNC_FUZZ_WORKERS ?? '1',
      '--max-time',
      env.SSYNC_FUZZ_MAX_TIME ?? '480',
      '--request-timeout',
      '20',
      '--suppress-health-check',
      'all',
      '--no-color',
      '--report',
      'junit',
      '--report-dir',
      reportDir,
      ...(env.SSYNC_FUZZ_SEED ? ['--seed', env.SSYNC_FUZZ_SEED] : []),
      ...(env.SSYNC_FUZZ_ARGS ? env.SSYNC_FUZZ_ARGS.split(' ').filter(Boolean) : []),
    ];
    // The token is masked in Schemathesis's output (it prints the header of a failing request's curl line).
    const run = spawn(st, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    run.stdout.on('data', (d) => process.stdout.write(d.toString().split(token).join('<dev token>')));
    code = await new Promise((resolve) => run.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
    log(code === 0 ? 'no failures' : `failures (exit ${code}); report in ${path.relative(root, reportDir)}`);
  } finally {
    await Promise.all(
      roles.map((proc) => {
        proc.kill('SIGTERM');
        return new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      }),
    );
    await cleanUp(infra.kafkaBrokers.split(','), mongo.toString(), prefix).catch((e) =>
      log(`clean-up: ${e.message}`),
    );
  }
  process.exitCode = code;
}

main().catch((e) => {
  process.stderr.write(`[api:fuzz] ${e.stack ?? e}\n`);
  process.exitCode = 1;
});
