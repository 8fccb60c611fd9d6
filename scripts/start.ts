/**
 * One command starts everything on one machine (`npm start`): Kafka and the MongoDB-compatible server (provisioned
 * on first use), the Exchange simulator with demo mailboxes, the API, the projector and two sync workers.
 * A role that exits unexpectedly is started again with back-off, and a change of any role's readiness is printed
 * with its reasons (issue #11). Ctrl-C stops them all, and the infrastructure if this command started it.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { redactUri } from '@ssync/common';
import { seedDemo, startMailFlow } from './lib/demo';
import { loadInfra, repoRoot, withDatabase } from './lib/infra';
import { RestartPolicy, errorLines, readinessChange } from './lib/supervise';

interface Role {
  name: string;
  entry: string;
  args?: string[];
  env?: Record<string, string>;
  optional?: boolean;
  /** Its readiness endpoint: the start waits for it and shows when it answered 200. */
  ready?: string;
}

const root = repoRoot();
const port = process.env.PORT ?? '3000';
const simulatorPort = process.env.SSYNC_SIMULATOR_PORT ?? '8085';
/** The projector's and the workers' health listeners sit on the ports after the API's, so PORT moves them all. */
const healthPort = (offset: number) => String(Number(port) + offset);
const children: { role: Role; proc: ChildProcess }[] = [];
let stopping = false;

function log(line: string): void {
  process.stdout.write(`[start] ${line}\n`);
}

async function waitFor(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return true;
    } catch {
      // not up yet
    }
    if (stopping) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

const policies = new Map<string, RestartPolicy>();

function spawnRole(role: Role, env: NodeJS.ProcessEnv, logDir: string): void {
  const file = path.join(root, 'dist', role.entry);
  if (!existsSync(file)) {
    if (role.optional) return log(`${role.name}: not built (${role.entry}); skipped`);
    throw new Error(`${file} is missing: run npm run build`);
  }
  const startedAt = Date.now();
  const out = createWriteStream(path.join(logDir, `${role.name}.log`), { flags: 'a' });
  const proc = spawn(process.execPath, [file, ...(role.args ?? [])], {
    env: { ...env, ...role.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.pipe(out);
  proc.stderr.pipe(out);
  proc.stderr.on('data', (chunk: Buffer) => {
    for (const line of errorLines(chunk.toString())) process.stderr.write(`[${role.name}] ${line}\n`);
  });
  proc.on('exit', (code, signal) => {
    if (stopping) return;
    let policy = policies.get(role.name);
    if (!policy) policies.set(role.name, (policy = new RestartPolicy()));
    const { delayMs, restart } = policy.next(Date.now() - startedAt);
    log(
      `${role.name} exited (${signal ?? code}); restarting in ${(delayMs / 1000).toFixed(0)} s (restart ${restart} in a row); see ${path.join(logDir, `${role.name}.log`)}`,
    );
    setTimeout(() => {
      if (stopping) return;
      const at = children.findIndex((c) => c.proc === proc);
      if (at >= 0) children.splice(at, 1);
      spawnRole(role, env, logDir);
      log(`${role.name} restarted (pid ${children[children.length - 1]?.proc.pid ?? '?'})`);
    }, delayMs);
  });
  children.push({ role, proc });
}

/** Prints each change of a role's readiness, with the reasons its endpoint gives (a dependency away, say). */
function watchReadiness(roles: Role[]): void {
  const was = new Map<string, boolean | null>();
  const check = async () => {
    for (const role of roles) {
      if (!role.ready || stopping) continue;
      let now: { ready: boolean; reasons: string[] };
      try {
        const res = await fetch(role.ready, { signal: AbortSignal.timeout(4000) });
        const body = (await res.json().catch(() => ({}))) as { reasons?: string[] };
        now = { ready: res.ok, reasons: body.reasons ?? [] };
      } catch {
        now = { ready: false, reasons: ['no answer'] };
      }
      const line = readinessChange(role.name, was.get(role.name) ?? null, now);
      if (line) log(line);
      was.set(role.name, now.ready);
    }
  };
  const timer = setInterval(() => void check(), 5000);
  timer.unref();
}

async function stopAll(startedInfra: boolean): Promise<void> {
  stopping = true;
  log('stopping…');
  await Promise.all(
    children.map(
      ({ proc }) =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
          proc.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          proc.kill('SIGTERM');
        }),
    ),
  );
  if (startedInfra && process.env.SSYNC_KEEP_INFRA !== '1') {
    const infra = await loadInfra();
    await infra.stopInfra();
    log('infrastructure stopped');
  }
}

async function main(): Promise<void> {
  const infra = await loadInfra();
  const { kafkaBrokers, mongoUri, started, mode, database } = await infra.ensureInfra({
    log: (m) => log(m),
    timeoutMs: 600000,
  });
  const logDir = path.join(root, '.ssync', 'logs');
  mkdirSync(logDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: kafkaBrokers,
    MONGODB_URI: withDatabase(process.env.MONGODB_URI ?? mongoUri, 'ssync'),
    PORT: port,
    // The embedded demo listens on plain HTTP on loopback; P-6 would otherwise refuse profile credentials.
    ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS:
      process.env.ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS ?? '1',
    SSYNC_SIMULATOR_URL: `http://127.0.0.1:${simulatorPort}`,
    // The development administrator's token: fixed by SSYNC_DEV_TOKEN for scripts, else a fresh one each start.
    SSYNC_DEV_TOKEN: process.env.SSYNC_DEV_TOKEN ?? `dev-${randomBytes(16).toString('hex')}`,
  };
  const roles: Role[] = [
    {
      name: 'exchange-simulator',
      entry: 'apps/exchange-simulator/src/main.js',
      args: ['--seed-demo', '--port', simulatorPort],
      optional: true,
    },
    { name: 'api', entry: 'apps/api/src/main.js', ready: `http://127.0.0.1:${port}/health/ready` },
    {
      name: 'projector',
      entry: 'apps/projector/src/main.js',
      env: { HEALTH_PORT: healthPort(1) },
      ready: `http://127.0.0.1:${healthPort(1)}/health/ready`,
    },
    ...[1, 2].map((n) => ({
      name: `sync-worker-${n}`,
      entry: 'apps/sync-worker/src/main.js',
      env: { SSYNC_INSTANCE_ID: `sync-worker-${n}`, HEALTH_PORT: healthPort(1 + n) },
      ready: `http://127.0.0.1:${healthPort(1 + n)}/health/ready`,
    })),
  ];
  const startedAt = Date.now();
  for (const role of roles) spawnRole(role, env, logDir);
  const onSignal = () => {
    void stopAll(started).then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Each role is ready once it has caught up with the log as it was when it started (README: Health).
  const readyAfter = new Map<string, string>();
  await Promise.all(
    roles.map(async (role) => {
      if (!role.ready || !children.some((c) => c.role === role)) return;
      const ok = await waitFor(role.ready, 180000);
      readyAfter.set(
        role.name,
        ok
          ? `ready after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`
          : `NOT READY after 180 s: see ${path.join(logDir, `${role.name}.log`)}`,
      );
    }),
  );
  if (!readyAfter.get('api')?.startsWith('ready')) {
    log(`the API did not become ready; logs in ${logDir}`);
    await stopAll(started);
    process.exit(1);
  }
  const health = (name: string) =>
    `  ${name.padEnd(14)} ${roles.find((r) => r.name === name)!.ready!}   (${readyAfter.get(name)})`;
  const lines = [
    '',
    'ssync is running',
    `  API            http://127.0.0.1:${port}   (${readyAfter.get('api')}: /health/ready, OpenAPI: /api/openapi.json, docs: /api/docs)`,
    // The token rides in the fragment, which a browser never sends: the console takes it and clears the address.
    `  console        http://127.0.0.1:${port}/#token=${encodeURIComponent(env.SSYNC_DEV_TOKEN!)}   (admin console: this link signs you in as the development administrator)`,
    health('projector'),
    health('sync-worker-1'),
    health('sync-worker-2'),
    `  Exchange (sim) http://127.0.0.1:${simulatorPort}/EWS/Exchange.asmx   (admin: /admin/v1)`,
    `  Kafka          ${kafkaBrokers}   (${mode}${started ? ', started here' : ', reused'})`,
    `  MongoDB        ${redactUri(env.MONGODB_URI!)}${database ? `   (${database})` : ''}`,
    `  processes      ${children.map((c) => `${c.role.name}(${c.proc.pid})`).join(' ')}`,
    `  logs           ${logDir}`,
    `  admin token    ${env.SSYNC_DEV_TOKEN}   (curl -H "Authorization: Bearer $TOKEN" …; SSYNC_DEV_TOKEN fixes it)`,
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  watchReadiness(roles);
  if (process.env.SSYNC_DEMO !== '0' && children.some((c) => c.role.name === 'exchange-simulator')) {
    const demo = {
      apiUrl: `http://127.0.0.1:${port}`,
      token: env.SSYNC_DEV_TOKEN!,
      simulatorUrl: `http://127.0.0.1:${simulatorPort}`,
      log,
    };
    try {
      await seedDemo(demo);
      const stopFlow = startMailFlow(demo);
      process.once('SIGINT', stopFlow);
      process.once('SIGTERM', stopFlow);
      log(
        'demo: new mail arrives every 15 s; watch GET /api/v1/mailboxes and /api/v1/email-activities (SSYNC_DEMO=0 to skip)',
      );
    } catch (error) {
      log(`demo setup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[start] ${error instanceof Error ? error.message : String(error)}\n`);
  void stopAll(false).then(() => process.exit(1));
});
