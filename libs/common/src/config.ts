import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';

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
  return uri;
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
