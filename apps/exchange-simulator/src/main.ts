import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateTls } from './http/tls';
import { startSimulator, SimulatorConfig } from './index';

/**
 * Standalone entry point. Configuration by environment (EXSIM_*) or flags:
 *   --port 8085 --host 127.0.0.1 --seed-demo --snapshot .ssync/exchange-simulator.json --max-concurrency 27
 *   --tls-key key.pem --tls-cert cert.pem | --tls-generate [--tls-cert-out PEM] --log
 */
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? 'true' : v;
}
function setting(flag: string, env: string): string | undefined {
  return arg(flag) ?? process.env[env];
}
function num(flag: string, env: string): number | undefined {
  const v = setting(flag, env);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) {
    process.stderr.write(`exchange-simulator: ${env} / --${flag} must be a number, got '${v}'\n`);
    process.exit(2);
  }
  return n;
}
const bool = (flag: string, env: string): boolean | undefined => {
  const v = setting(flag, env);
  return v === undefined ? undefined : v === 'true' || v === '1' || v === 'yes';
};

async function main(): Promise<void> {
  const tlsKey = setting('tls-key', 'EXSIM_TLS_KEY');
  const tlsCert = setting('tls-cert', 'EXSIM_TLS_CERT');
  // --tls-generate: HTTPS with a certificate made at start; its PEM is written where clients can trust it.
  const generated = bool('tls-generate', 'EXSIM_TLS_GENERATE')
    ? await generateTls(setting('host', 'EXSIM_HOST') ?? '127.0.0.1')
    : undefined;
  if (generated) {
    const certOut = setting('tls-cert-out', 'EXSIM_TLS_CERT_OUT') ?? '.ssync/exchange-simulator-cert.pem';
    mkdirSync(dirname(certOut), { recursive: true });
    writeFileSync(certOut, generated.cert);
    process.stdout.write(
      `exchange-simulator: generated TLS certificate ${generated.fingerprint}, PEM in ${certOut}\n`,
    );
  }
  const config: SimulatorConfig = {
    port: num('port', 'EXSIM_PORT') ?? 8085,
    host: setting('host', 'EXSIM_HOST') ?? '127.0.0.1',
    maxConcurrency: num('max-concurrency', 'EXSIM_MAX_CONCURRENCY'),
    rateLimit: num('rate-limit', 'EXSIM_RATE_LIMIT'),
    backOffMs: num('backoff-ms', 'EXSIM_BACKOFF_MS'),
    seedDemo: bool('seed-demo', 'EXSIM_SEED_DEMO') ?? false,
    snapshotPath: setting('snapshot', 'EXSIM_SNAPSHOT'),
    snapshotIntervalMs: num('snapshot-interval-ms', 'EXSIM_SNAPSHOT_INTERVAL_MS') ?? 30_000,
    validateRequests: bool('validate-requests', 'EXSIM_VALIDATE_REQUESTS'),
    requestLogSize: num('request-log-size', 'EXSIM_REQUEST_LOG_SIZE'),
    log: bool('log', 'EXSIM_LOG') ?? false,
    ...(tlsKey && tlsCert ? { tls: { key: readFileSync(tlsKey), cert: readFileSync(tlsCert) } } : {}),
    ...(generated ? { tls: { key: generated.key, cert: generated.cert } } : {}),
  };
  const sim = await startSimulator(config);
  process.stdout.write(
    `exchange-simulator: EWS ${sim.ewsUrl}  Autodiscover ${sim.autodiscoverUrl}  admin ${sim.adminUrl}\n`,
  );
  const stop = (): void => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`exchange-simulator failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
