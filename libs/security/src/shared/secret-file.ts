import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Something that can take a warning; Nest's `Logger` fits. Never pass key material to it. */
export interface SecurityLogger {
  warn(message: string): void;
}

/**
 * Reads a development secret file, creating it first when it does not exist.
 *
 * Safe when several processes (or several promises) start at once: each writes its candidate to a private temp
 * file and hard-links it into place, which fails with EEXIST for everyone but the first; everybody then re-reads
 * the file, so all of them end up with the same secret and nobody ever sees a half-written file.
 */
export async function readOrCreateSecretFile(
  filePath: string,
  generate: () => string,
): Promise<{ content: string; created: boolean }> {
  const existing = await readIfExists(filePath);
  if (existing !== undefined) return { content: existing, created: false };

  await fs.mkdir(path.dirname(filePath), { recursive: true, mode: 0o700 });
  const tmp = `${filePath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let created = false;
  try {
    await fs.writeFile(tmp, generate(), { mode: 0o600, flag: 'wx' });
    try {
      await fs.link(tmp, filePath);
      created = true;
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') {
        // Somebody else won the race: use theirs.
      } else if (errnoCode(err) === 'EPERM' || errnoCode(err) === 'ENOTSUP' || errnoCode(err) === 'ENOSYS') {
        // No hard links on this file system: fall back to an exclusive create.
        created = await writeExclusive(filePath, await fs.readFile(tmp, 'utf8'));
      } else {
        throw err;
      }
    }
  } finally {
    await fs.rm(tmp, { force: true });
  }

  const content = await readIfExists(filePath);
  if (content === undefined) throw new Error(`${filePath} disappeared while it was being created`);
  return { content, created };
}

/** Warns when a secret file can be read by group or others (POSIX only; the mode bits mean nothing on Windows). */
export async function warnIfExposed(filePath: string, what: string, logger: SecurityLogger): Promise<void> {
  if (process.platform === 'win32') return;
  const { mode } = await fs.stat(filePath);
  if ((mode & 0o077) !== 0) {
    logger.warn(
      `${what} ${filePath} is accessible by group/others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); ` +
        `run: chmod 600 ${filePath}`,
    );
  }
}

async function writeExclusive(filePath: string, content: string): Promise<boolean> {
  try {
    await fs.writeFile(filePath, content, { mode: 0o600, flag: 'wx' });
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw err;
  }
}

async function readIfExists(filePath: string): Promise<string | undefined> {
  try {
    return await fs.readFile(filePath, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

// Not `instanceof Error`: errors from Node's own modules can come from another realm (e.g. under Jest).
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

/** True unless NODE_ENV=production: development conveniences (generated keys, generated JWT secret) are off there. */
export function devSecretsAllowedByDefault(env: NodeJS.ProcessEnv): boolean {
  return env.NODE_ENV !== 'production';
}
