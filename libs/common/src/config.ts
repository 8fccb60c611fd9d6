import { X509Certificate, createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { inspect } from 'node:util';

/** Raised at boot when a variable is missing or malformed; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback?: string): string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    if (fallback === undefined) throw new ConfigError(name, 'is required');
    return fallback;
  }
  return raw.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be 1/0 or true/false, got "${env[name]}"`);
}

/**
 * Which peers may say, in X-Forwarded-*, what the client's address and protocol were (express's `trust proxy`):
 * `false`; a hop count; or the proxies' addresses and CIDRs (and express's names loopback, linklocal, uniquelocal).
 * "Every peer" is refused (issue #14): a client that reaches a pod directly could claim HTTPS and pass P-6.
 */
export type TrustProxy = false | number | string[];

const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

export function trustProxy(env: Env): TrustProxy {
  const raw = env.TRUST_PROXY?.trim();
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === 'true')
    throw new ConfigError(
      'TRUST_PROXY',
      'may not trust every peer: name the proxies (addresses or CIDRs, e.g. 10.0.5.0/24) or a hop count',
    );
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 10) throw new ConfigError('TRUST_PROXY', `must be a hop count of at most 10, got ${raw}`);
    return hops;
  }
  const entries = raw.split(',').map((e) => e.trim());
  for (const entry of entries) {
    if (TRUST_PROXY_NAMES.has(entry)) continue;
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const max = family === 4 ? 32 : 128;
    const prefixOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max);
    if (family === 0 || !prefixOk || extra !== undefined)
      throw new ConfigError(
        'TRUST_PROXY',
        `must be a hop count or a comma-separated list of IP addresses or CIDRs (or loopback, linklocal, uniquelocal), got "${entry}"`,
      );
  }
  return entries;
}

function brokers(env: Env): string[] {
  const list = str(env, 'KAFKA_BROKERS', '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const b of list) {
    if (!/^[A-Za-z0-9.[\]:-]+:\d{1,5}$/.test(b))
      throw new ConfigError('KAFKA_BROKERS', `must be a comma-separated list of host:port, got "${b}"`);
  }
  return list;
}

function mongoUri(env: Env): string {
  const uri = str(env, 'MONGODB_URI', 'mongodb://127.0.0.1:27017/ssync');
  if (!/^mongodb(\+srv)?:\/\//.test(uri))
    throw new ConfigError('MONGODB_URI', 'must start with mongodb:// or mongodb+srv://');
  // The URI is the one place MongoDB's TLS is set (tls=true&tlsCAFile=…); the driver gets it unchanged.
  if (
    production(env) &&
    /[?&](tlsInsecure|tlsAllowInvalidCertificates|tlsAllowInvalidHostnames)=true\b/i.test(uri)
  )
    throw new ConfigError(
      'MONGODB_URI',
      'may not turn off certificate or host name checks (tlsInsecure, tlsAllowInvalid…) with NODE_ENV=production',
    );
  return uri;
}

const production = (env: Env): boolean => env.NODE_ENV === 'production';

/** A connection URI fit for a log line: the password of its user part and of a client key hidden. */
export function redactUri(uri: string): string {
  return uri
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*):[^@/?#]*@/i, '$1:***@')
    .replace(/([?&]tlsCertificateKeyFilePassword=)[^&#]*/gi, '$1***');
}

/**
 * A secret held by the config object: it prints as [redacted] through JSON, String() and util.inspect, so logging
 * the config (or an error that carries it) cannot leak it. `reveal()` is for the client that needs it.
 */
export class Redacted {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}

/** How clients reach the brokers over TLS (`KAFKA_SSL=true`). PEM texts are read once, at boot. */
export interface KafkaTlsConfig {
  /** The CA(s) that sign the brokers' certificates; null: Node's bundled public roots. */
  ca: string | null;
  /** A client certificate and key, for brokers that ask for one (mutual TLS); both or neither. */
  cert: string | null;
  key: Redacted | null;
  /** False only outside production: accept any broker certificate. */
  rejectUnauthorized: boolean;
  /** The name to check the broker certificate against, when it is not the broker's host (e.g. an IP address). */
  servername: string | null;
}

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

export interface KafkaSaslConfig {
  mechanism: KafkaSaslMechanism;
  username: string;
  password: Redacted;
}

function readConfigFile(env: Env, name: string): string {
  const file = str(env, name);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    throw new ConfigError(name, `names a file that cannot be read (${code}): ${file}`);
  }
}

function certificatePem(env: Env, name: string): string {
  const text = readConfigFile(env, name);
  try {
    new X509Certificate(text);
  } catch {
    throw new ConfigError(name, 'must name a PEM file holding X.509 certificate(s)');
  }
  return text;
}

function kafkaTls(env: Env): KafkaTlsConfig | null {
  const fileVars = [
    'KAFKA_SSL_CA_FILE',
    'KAFKA_SSL_CERT_FILE',
    'KAFKA_SSL_KEY_FILE',
    'KAFKA_SSL_REJECT_UNAUTHORIZED',
    'KAFKA_SSL_SERVERNAME',
  ] as const;
  if (!bool(env, 'KAFKA_SSL', false)) {
    // Someone who set a CA file believes the connection is encrypted; it would not be.
    const stray = fileVars.find((v) => env[v]?.trim());
    if (stray)
      throw new ConfigError(stray, 'is set but KAFKA_SSL is not true: set KAFKA_SSL=true or remove it');
    return null;
  }
  const has = (name: string) => Boolean(env[name]?.trim());
  if (has('KAFKA_SSL_CERT_FILE') !== has('KAFKA_SSL_KEY_FILE'))
    throw new ConfigError(
      has('KAFKA_SSL_CERT_FILE') ? 'KAFKA_SSL_KEY_FILE' : 'KAFKA_SSL_CERT_FILE',
      'must be set together with the other client certificate file',
    );
  const cert = has('KAFKA_SSL_CERT_FILE') ? certificatePem(env, 'KAFKA_SSL_CERT_FILE') : null;
  let key: Redacted | null = null;
  if (cert !== null) {
    const pem = readConfigFile(env, 'KAFKA_SSL_KEY_FILE');
    let matches: boolean;
    try {
      matches = new X509Certificate(cert).checkPrivateKey(createPrivateKey(pem));
    } catch {
      throw new ConfigError('KAFKA_SSL_KEY_FILE', 'must name an unencrypted PEM private key');
    }
    if (!matches)
      throw new ConfigError(
        'KAFKA_SSL_KEY_FILE',
        'does not hold the key of the certificate in KAFKA_SSL_CERT_FILE',
      );
    key = new Redacted(pem);
  }
  const rejectUnauthorized = bool(env, 'KAFKA_SSL_REJECT_UNAUTHORIZED', true);
  if (!rejectUnauthorized && production(env))
    throw new ConfigError(
      'KAFKA_SSL_REJECT_UNAUTHORIZED',
      'may not be false with NODE_ENV=production: any broker could then read and write the event log',
    );
  const servername = env.KAFKA_SSL_SERVERNAME?.trim() || null;
  if (servername !== null && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(servername))
    throw new ConfigError('KAFKA_SSL_SERVERNAME', `must be a DNS name, got "${servername}"`);
  return {
    ca: has('KAFKA_SSL_CA_FILE') ? certificatePem(env, 'KAFKA_SSL_CA_FILE') : null,
    cert,
    key,
    rejectUnauthorized,
    servername,
  };
}

function kafkaSasl(env: Env, tls: boolean): KafkaSaslConfig | null {
  const raw = env.KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  const credentialVars = ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'] as const;
  if (raw === undefined || raw === '') {
    const stray = credentialVars.find((v) => env[v]?.trim());
    if (stray) throw new ConfigError(stray, 'is set but KAFKA_SASL_MECHANISM is not');
    return null;
  }
  const mechanism = KAFKA_SASL_MECHANISMS.find((m) => m === raw);
  if (mechanism === undefined)
    throw new ConfigError('KAFKA_SASL_MECHANISM', `must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}`);
  if (mechanism === 'plain' && !tls && production(env))
    throw new ConfigError(
      'KAFKA_SASL_MECHANISM',
      'plain sends the password in clear: with NODE_ENV=production it needs KAFKA_SSL=true (or use scram-sha-512)',
    );
  const username = str(env, 'KAFKA_SASL_USERNAME');
  const inline = env.KAFKA_SASL_PASSWORD;
  const fromFile = env.KAFKA_SASL_PASSWORD_FILE?.trim();
  if (inline && fromFile)
    throw new ConfigError('KAFKA_SASL_PASSWORD', 'and KAFKA_SASL_PASSWORD_FILE may not both be set');
  if (!inline && !fromFile)
    throw new ConfigError(
      'KAFKA_SASL_PASSWORD',
      'or KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_MECHANISM',
    );
  // A file from a Secret volume usually ends with a newline that is not part of the password.
  const password = inline ?? readConfigFile(env, 'KAFKA_SASL_PASSWORD_FILE').replace(/\r?\n$/, '');
  if (password === '')
    throw new ConfigError(fromFile ? 'KAFKA_SASL_PASSWORD_FILE' : 'KAFKA_SASL_PASSWORD', 'may not be empty');
  return { mechanism, username, password: new Redacted(password) };
}

/** Settings every process shares. Validated once at boot into one typed object (docs/CONVENTIONS.md §5). */
export interface CoreConfig {
  instanceId: string;
  orgId: string;
  kafka: {
    brokers: string[];
    clientId: string;
    topicPrefix: string;
    partitions: number;
    replicationFactor: number;
    tls: KafkaTlsConfig | null;
    sasl: KafkaSaslConfig | null;
    /**
     * How often a reader that may see another process's write late fetches once caught up (ms): the projector, the
     * workers' stores, the API's copy of the operational state (docs/adr/0015, addendum 5).
     */
    followerPaceMs: number;
  };
  /** maxPoolSize bounds this process's MongoDB operations in flight (see docs/adr/0009 on FerretDB's pool). */
  mongo: { uri: string; maxPoolSize: number };
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
}

const NEST_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;

/** The Nest logger levels `LOG_LEVEL` asks for (each role's bootstrap; the default prints `log` and above). */
export function nestLogLevels(env: Env = process.env): (typeof NEST_LEVELS)[number][] {
  const level = str(env, 'LOG_LEVEL', 'log');
  const at = NEST_LEVELS.indexOf(level as (typeof NEST_LEVELS)[number]);
  if (at < 1) throw new ConfigError('LOG_LEVEL', 'must be one of error, warn, log, debug, verbose');
  return NEST_LEVELS.slice(0, at + 1);
}

/** Kafka's TLS and SASL settings alone, for tools (benches, test helpers) that name their brokers themselves. */
export function loadKafkaSecurity(env: Env = process.env): {
  tls: KafkaTlsConfig | null;
  sasl: KafkaSaslConfig | null;
} {
  const tls = kafkaTls(env);
  return { tls, sasl: kafkaSasl(env, tls !== null) };
}

export function loadCoreConfig(env: Env = process.env, role = 'ssync'): CoreConfig {
  const prefix = str(env, 'SSYNC_TOPIC_PREFIX', 'ssync');
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(prefix))
    throw new ConfigError('SSYNC_TOPIC_PREFIX', 'may only contain letters, digits, ".", "_" and "-"');
  const logLevel = str(env, 'LOG_LEVEL', 'log');
  if (!['error', 'warn', 'log', 'debug', 'verbose'].includes(logLevel))
    throw new ConfigError('LOG_LEVEL', 'must be one of error, warn, log, debug, verbose');
  const orgId = str(env, 'SSYNC_ORG_ID', 'default');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(orgId))
    throw new ConfigError('SSYNC_ORG_ID', 'may only contain letters, digits, "_" and "-" (1–64)');
  const { tls, sasl } = loadKafkaSecurity(env);
  return {
    instanceId: str(
      env,
      'SSYNC_INSTANCE_ID',
      `${role}-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    ),
    orgId,
    kafka: {
      brokers: brokers(env),
      clientId: `ssync-${role}`,
      topicPrefix: prefix,
      partitions: int(env, 'SSYNC_PARTITIONS', 12, 1, 1000),
      replicationFactor: int(env, 'SSYNC_REPLICATION_FACTOR', 1, 1, 10),
      followerPaceMs: int(env, 'SSYNC_FOLLOWER_PACE_MS', 1000, 0, 10000),
      tls,
      sasl,
    },
    mongo: { uri: mongoUri(env), maxPoolSize: int(env, 'MONGODB_MAX_POOL_SIZE', 32, 1, 1000) },
    logLevel: logLevel as CoreConfig['logLevel'],
  };
}

export interface ApiConfig extends CoreConfig {
  http: {
    host: string;
    port: number;
    tlsCertFile: string | null;
    tlsKeyFile: string | null;
    trustProxy: TrustProxy;
  };
  /** Deployment property AllowCredentialsEntryViaNonSecureChannels (SPEC P-6). */
  allowCredentialsEntryViaNonSecureChannels: boolean;
  commandTimeoutMs: number;
  /** The admin console's build, served at `/` (issue #13); null: the one beside the API's own build. */
  consoleDir: string | null;
}

export function loadApiConfig(env: Env = process.env): ApiConfig {
  const core = loadCoreConfig(env, 'api');
  const cert = env.TLS_CERT_FILE?.trim() || null;
  const key = env.TLS_KEY_FILE?.trim() || null;
  if ((cert === null) !== (key === null))
    throw new ConfigError(
      cert ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE',
      'must be set together with the other TLS file',
    );
  return {
    ...core,
    http: {
      host: str(env, 'HOST', '127.0.0.1'),
      port: int(env, 'PORT', 3000, 0, 65535),
      tlsCertFile: cert,
      tlsKeyFile: key,
      trustProxy: trustProxy(env),
    },
    allowCredentialsEntryViaNonSecureChannels: bool(
      env,
      'ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS',
      false,
    ),
    commandTimeoutMs: int(env, 'SSYNC_COMMAND_TIMEOUT_MS', 30000, 100, 600000),
    consoleDir: env.SSYNC_CONSOLE_DIR?.trim() || null,
  };
}

/** The liveness/readiness listener of a role without an HTTP API of its own (projector, sync worker). */
export interface HealthConfig {
  /** Null: no health listener (the default, so several processes on one machine never collide). */
  port: number | null;
  host: string;
}

/** `HEALTH_PORT` (0: any free port, logged) and `HEALTH_HOST` (default `HOST`, else loopback). */
export function loadHealthConfig(env: Env = process.env): HealthConfig {
  const given = env.HEALTH_PORT !== undefined && env.HEALTH_PORT.trim() !== '';
  return {
    port: given ? int(env, 'HEALTH_PORT', 0, 0, 65535) : null,
    host: str(env, 'HEALTH_HOST', str(env, 'HOST', '127.0.0.1')),
  };
}
