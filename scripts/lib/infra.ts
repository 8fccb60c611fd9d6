import { existsSync } from 'node:fs';
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
