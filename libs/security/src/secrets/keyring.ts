import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { Logger } from '@nestjs/common';
import {
  SecurityLogger,
  devSecretsAllowedByDefault,
  errnoCode,
  readOrCreateSecretFile,
  warnIfExposed,
} from '../shared/secret-file';

export const KEY_BYTES = 32;
export const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]+$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const ENV_KEYS = 'SSYNC_ENCRYPTION_KEYS';
export const ENV_ACTIVE_KEY_ID = 'SSYNC_ENCRYPTION_ACTIVE_KEY_ID';
export const ENV_KEY_FILE = 'SSYNC_ENCRYPTION_KEY_FILE';
export const DEFAULT_DEV_KEY_FILE = '.ssync/keys.json';

/** A misconfigured key: the message names the variable or file and the rule, never the key material. */
export class KeyringConfigError extends Error {
  override readonly name = 'KeyringConfigError';
}

export type KeyringSource = 'env' | 'file' | 'dev-file' | 'memory';

/**
 * The AES-256 keys by id, and which one seals new values. Old keys stay so existing values can still be opened
 * (rotation: add a key, make it active, reseal at leisure, drop the old key once nothing uses it).
 * Key bytes live in a private field and are hidden from `JSON.stringify` and `util.inspect`.
 */
export class Keyring {
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(
    keys: ReadonlyMap<string, Buffer> | Readonly<Record<string, Buffer>>,
    readonly activeKeyId: string,
    readonly source: KeyringSource = 'memory',
  ) {
    const map = new Map<string, Buffer>(keys instanceof Map ? keys : Object.entries(keys));
    for (const [id, key] of map) {
      if (!KEY_ID_PATTERN.test(id))
        throw new KeyringConfigError(`key id '${id}' must match ${KEY_ID_PATTERN.source}`);
      if (key.length !== KEY_BYTES) {
        throw new KeyringConfigError(`key '${id}' must be ${KEY_BYTES} bytes (got ${key.length})`);
      }
    }
    if (!map.has(activeKeyId))
      throw new KeyringConfigError(`active key id '${activeKeyId}' is not in the keyring`);
    this.#keys = map;
  }

  get keyIds(): readonly string[] {
    return [...this.#keys.keys()];
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** The key bytes; for SecretBox only. */
  key(keyId: string): Buffer | undefined {
    return this.#keys.get(keyId);
  }

  /** A fresh random key, base64: what an operator puts in SSYNC_ENCRYPTION_KEYS or a key file. */
  static generateKey(): string {
    return randomBytes(KEY_BYTES).toString('base64');
  }

  toJSON(): { activeKeyId: string; keyIds: readonly string[]; source: KeyringSource } {
    return { activeKeyId: this.activeKeyId, keyIds: this.keyIds, source: this.source };
  }

  [inspect.custom](): string {
    return `Keyring { activeKeyId: '${this.activeKeyId}', keyIds: [${this.keyIds.map((k) => `'${k}'`).join(', ')}], source: '${this.source}' }`;
  }
}

export interface LoadKeyringOptions {
  /** Generate (first start) or reuse a development key file when nothing is configured. Default: NODE_ENV !== 'production'. */
  allowDevKey?: boolean;
  /** Where the development key file lives. Default `.ssync/keys.json`, relative to the working directory. */
  devKeyFile?: string;
  logger?: SecurityLogger;
}

/**
 * Builds the keyring from, in order: `SSYNC_ENCRYPTION_KEYS` (`kid1:<base64>,kid2:<base64>`) with
 * `SSYNC_ENCRYPTION_ACTIVE_KEY_ID`; or `SSYNC_ENCRYPTION_KEY_FILE` (JSON `{ activeKeyId, keys: { kid: base64 } }`,
 * `SSYNC_ENCRYPTION_ACTIVE_KEY_ID` overrides its activeKeyId); or, in development only, a generated key file.
 */
export async function loadKeyring(env: NodeJS.ProcessEnv, opts: LoadKeyringOptions = {}): Promise<Keyring> {
  const logger = opts.logger ?? new Logger('Keyring');
  const keysVar = nonEmpty(env[ENV_KEYS]);
  const fileVar = nonEmpty(env[ENV_KEY_FILE]);
  const activeVar = nonEmpty(env[ENV_ACTIVE_KEY_ID]);

  if (keysVar !== undefined && fileVar !== undefined) {
    throw new KeyringConfigError(`set either ${ENV_KEYS} or ${ENV_KEY_FILE}, not both`);
  }
  const allowDevKey = opts.allowDevKey ?? devSecretsAllowedByDefault(env);
  if (keysVar !== undefined) return refuseDevKeys(keyringFromEnv(keysVar, activeVar), ENV_KEYS, allowDevKey);
  if (fileVar !== undefined) {
    const content = await readKeyFile(fileVar);
    await warnIfExposed(fileVar, `${ENV_KEY_FILE}`, logger);
    return refuseDevKeys(
      parseKeyFile(content, `${ENV_KEY_FILE} (${fileVar})`, activeVar, 'file'),
      `${ENV_KEY_FILE} (${fileVar})`,
      allowDevKey,
    );
  }

  if (!allowDevKey) {
    throw new KeyringConfigError(
      `no encryption key configured: set ${ENV_KEYS} (kid:<base64 32 bytes>,...) and ${ENV_ACTIVE_KEY_ID}, ` +
        `or ${ENV_KEY_FILE}`,
    );
  }
  const devFile = path.resolve(opts.devKeyFile ?? DEFAULT_DEV_KEY_FILE);
  const { content, created } = await readOrCreateSecretFile(devFile, generateDevKeyFile);
  logger.warn(
    `${created ? 'generated' : 'using'} development encryption key file ${devFile}; ` +
      `set ${ENV_KEYS} or ${ENV_KEY_FILE} outside development`,
  );
  return parseKeyFile(content, `development key file ${devFile}`, activeVar, 'dev-file');
}

function keyringFromEnv(value: string, activeVar: string | undefined): Keyring {
  const keys = new Map<string, Buffer>();
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    if (colon <= 0) {
      throw new KeyringConfigError(`${ENV_KEYS}: entry ${i + 1} must look like <keyId>:<base64 key>`);
    }
    const id = entry.slice(0, colon).trim();
    const where = `${ENV_KEYS}: key '${id}'`;
    if (!KEY_ID_PATTERN.test(id)) {
      throw new KeyringConfigError(
        `${ENV_KEYS}: entry ${i + 1} has a key id that does not match ${KEY_ID_PATTERN.source}`,
      );
    }
    if (keys.has(id)) throw new KeyringConfigError(`${where} appears twice`);
    keys.set(id, decodeKey(entry.slice(colon + 1).trim(), where));
  }
  if (keys.size === 0) throw new KeyringConfigError(`${ENV_KEYS} holds no keys`);
  return new Keyring(keys, activeKeyId(keys, activeVar, ENV_KEYS, undefined), 'env');
}

function parseKeyFile(
  content: string,
  where: string,
  activeVar: string | undefined,
  source: KeyringSource,
): Keyring {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    throw new KeyringConfigError(
      `${where} is not valid JSON; expected { "activeKeyId": "...", "keys": { "<kid>": "<base64>" } }`,
    );
  }
  if (!isRecord(json) || !isRecord(json.keys)) {
    throw new KeyringConfigError(
      `${where} must be { "activeKeyId": "...", "keys": { "<kid>": "<base64>" } }`,
    );
  }
  const keys = new Map<string, Buffer>();
  for (const [id, encoded] of Object.entries(json.keys)) {
    if (!KEY_ID_PATTERN.test(id)) {
      throw new KeyringConfigError(`${where}: key id '${id}' does not match ${KEY_ID_PATTERN.source}`);
    }
    if (typeof encoded !== 'string')
      throw new KeyringConfigError(`${where}: keys.${id} must be a base64 string`);
    keys.set(id, decodeKey(encoded, `${where}: keys.${id}`));
  }
  if (keys.size === 0) throw new KeyringConfigError(`${where} holds no keys`);
  const fileActive =
    typeof json.activeKeyId === 'string' && json.activeKeyId !== '' ? json.activeKeyId : undefined;
  return new Keyring(keys, activeKeyId(keys, activeVar, where, fileActive), source);
}

function activeKeyId(
  keys: ReadonlyMap<string, Buffer>,
  fromEnv: string | undefined,
  where: string,
  fromFile: string | undefined,
): string {
  if (fromEnv !== undefined) {
    if (!keys.has(fromEnv)) {
      throw new KeyringConfigError(`${ENV_ACTIVE_KEY_ID} is '${fromEnv}', which is not a key id in ${where}`);
    }
    return fromEnv;
  }
  if (fromFile !== undefined) {
    if (!keys.has(fromFile))
      throw new KeyringConfigError(`${where}: activeKeyId '${fromFile}' is not one of its keys`);
    return fromFile;
  }
  const [only, ...rest] = keys.keys();
  if (only !== undefined && rest.length === 0) return only;
  throw new KeyringConfigError(
    `${ENV_ACTIVE_KEY_ID} is missing: ${where} holds several keys (${[...keys.keys()].join(', ')}), say which one seals`,
  );
}

function decodeKey(encoded: string, where: string): Buffer {
  if (!BASE64_PATTERN.test(encoded)) throw new KeyringConfigError(`${where} is not valid base64`);
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new KeyringConfigError(`${where} must be ${KEY_BYTES} bytes of base64 (got ${key.length} bytes)`);
  }
  return key;
}

async function readKeyFile(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new KeyringConfigError(
      `${ENV_KEY_FILE} (${file}) cannot be read: ${errnoCode(err) ?? String(err)}`,
    );
  }
}

/** The id prefix of a key the development key file made: such a key lives unprotected in a checkout. */
const DEV_KEY_PREFIX = 'dev-';

/**
 * In production a keyring may not hold a development key (issue #14), wherever it came from: a copied
 * `.ssync/keys.json`, or its key pasted into SSYNC_ENCRYPTION_KEYS.
 */
function refuseDevKeys(keyring: Keyring, where: string, allowDevKey: boolean): Keyring {
  if (allowDevKey) return keyring;
  const dev = keyring.keyIds.filter((kid) => kid.startsWith(DEV_KEY_PREFIX));
  if (dev.length > 0)
    throw new KeyringConfigError(
      `${where} holds development key(s) ${dev.join(', ')} with NODE_ENV=production: a development key file ` +
        `is not a secret. Generate production keys (kid without the "${DEV_KEY_PREFIX}" prefix) and reseal ` +
        `what the development key sealed`,
    );
  return keyring;
}

function generateDevKeyFile(): string {
  const kid = `${DEV_KEY_PREFIX}${randomBytes(4).toString('hex')}`;
  return `${JSON.stringify({ activeKeyId: kid, keys: { [kid]: Keyring.generateKey() } }, null, 2)}\n`;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
