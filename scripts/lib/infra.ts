import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface InfraModule {
  ensureInfra(opts?: {
    fresh?: boolean;
    quiet?: boolean;
    log?: (msg: string) => void;
    timeoutMs?: number;
  }): Promise<{ kafkaBrokers: string; mongoUri: string; started: boolean; mode: string; database?: string }>;
  stopInfra(): Promise<void>;
}

/** The repository root, whether this runs from scripts/ (ts-node, jest) or dist/scripts/. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist')
    dir = path.dirname(dir);
  return dir;
}

// Compiled to CommonJS, `import()` would become `require()`, which cannot load an .mjs file.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- constant source, no user input
const importEsm = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<unknown>;

export async function loadInfra(): Promise<InfraModule> {
  return (await importEsm(pathToFileURL(path.join(repoRoot(), 'scripts', 'infra.mjs')).href)) as InfraModule;
}

/** MONGODB_URI with a database name: the infra hands out a server URI. */
export function withDatabase(uri: string, db: string): string {
  const u = new URL(uri);
  if (u.pathname === '' || u.pathname === '/') u.pathname = `/${db}`;
  return u.toString();
}

/** Every port a second infra.mjs needs, for a suite or bench that runs its own broker and database. */
export interface OwnInfraPorts {
  kafka: number;
  mongo: number;
  postgres: number;
  /** The SSYNC_* variables infra.mjs reads, all of them set: its defaults derive TLS/SASL ports from the base ones. */
  env: Record<string, string>;
}

const OWN_PORTS = 7; // Kafka, controller, TLS, SASL; MongoDB, MongoDB TLS; PostgreSQL

function lowestEphemeralPort(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2000 ? low : 32768;
  } catch {
    return 32768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A block of consecutive free ports below the kernel's ephemeral range. A port from `listen(0)` can be handed out
 * again as some connection's source port before the server binds it, and infra.mjs listens on neighbours of the
 * ports it is given (Kafka + 2 / + 3, MongoDB + 1), which nobody had checked.
 */
export async function ownInfraPorts(): Promise<OwnInfraPorts> {
  const top = lowestEphemeralPort() - OWN_PORTS;
  const bottom = Math.min(20_000, top - 1_000);
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = bottom + Math.floor(Math.random() * (top - bottom));
    let free = true;
    for (let p = base; free && p < base + OWN_PORTS; p++) free = await canListen(p);
    if (!free) continue;
    const ports = { kafka: base, mongo: base + 4, postgres: base + 6 };
    return {
      ...ports,
      env: {
        SSYNC_KAFKA_PORT: String(base),
        SSYNC_KAFKA_CONTROLLER_PORT: String(base + 1),
        SSYNC_KAFKA_TLS_PORT: String(base + 2),
        SSYNC_KAFKA_SASL_PORT: String(base + 3),
        SSYNC_MONGO_PORT: String(base + 4),
        SSYNC_MONGO_TLS_PORT: String(base + 5),
        SSYNC_POSTGRES_PORT: String(base + 6),
      },
    };
  }
  throw new Error(`no ${OWN_PORTS} consecutive free ports between ${bottom} and ${top}`);
}
