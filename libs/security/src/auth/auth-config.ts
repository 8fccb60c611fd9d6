import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import { SecurityLogger, devSecretsAllowedByDefault, readOrCreateSecretFile } from '../shared/secret-file';
import { AuthConfigError } from './config-error';
import { OidcConfig, loadOidcConfig } from './oidc-config';

export { AuthConfigError } from './config-error';

export const ENV_JWT_SECRET = 'SSYNC_JWT_SECRET';
export const ENV_DEV_TOKEN = 'SSYNC_DEV_TOKEN';
export const DEFAULT_DEV_JWT_SECRET_FILE = '.ssync/jwt-secret';
export const MIN_JWT_SECRET_BYTES = 32;

/** What `TokenService` needs. Build it with `loadAuthConfig` (validated once, at boot). */
export interface AuthConfig {
  /** HS256 secret, at least 32 bytes. */
  readonly jwtSecret: Buffer;
  /** When set and non-empty, this exact string is accepted as the dev admin's token. */
  readonly devToken?: string;
  /** Bearer tokens from an OpenID Connect provider, besides the HS256 ones; off when `SSYNC_OIDC_ISSUER` is unset. */
  readonly oidc?: OidcConfig;
  /** Milliseconds since the epoch; injectable for tests. Default `Date.now`. */
  readonly now?: () => number;
}

export interface LoadAuthConfigOptions {
  /** Generate (first start) or reuse a development JWT secret file. Default: NODE_ENV !== 'production'. */
  allowDevSecret?: boolean;
  /** Default `.ssync/jwt-secret`, relative to the working directory. */
  devSecretFile?: string;
  logger?: SecurityLogger;
}

/** Reads `SSYNC_JWT_SECRET` (or, in development, a generated secret file), `SSYNC_DEV_TOKEN` and `SSYNC_OIDC_*`. */
export async function loadAuthConfig(
  env: NodeJS.ProcessEnv,
  opts: LoadAuthConfigOptions = {},
): Promise<AuthConfig> {
  const logger = opts.logger ?? new Logger('AuthConfig');
  const devToken =
    env[ENV_DEV_TOKEN] !== undefined && env[ENV_DEV_TOKEN] !== '' ? env[ENV_DEV_TOKEN] : undefined;
  // A warning was not enough (issue #14): a production process that started with it answered the token.
  if (devToken !== undefined && env.NODE_ENV === 'production') {
    throw new AuthConfigError(
      `${ENV_DEV_TOKEN} is set with NODE_ENV=production: anyone holding that string would be a SystemAdmin. ` +
        `Unset it; issue tokens with the CLI or an identity provider`,
    );
  }
  const oidc = loadOidcConfig(env);
  return {
    jwtSecret: await loadJwtSecret(env, opts, logger),
    ...(devToken !== undefined ? { devToken } : {}),
    ...(oidc !== undefined ? { oidc } : {}),
  };
}

export async function loadJwtSecret(
  env: NodeJS.ProcessEnv,
  opts: LoadAuthConfigOptions = {},
  logger: SecurityLogger = opts.logger ?? new Logger('AuthConfig'),
): Promise<Buffer> {
  const configured = env[ENV_JWT_SECRET];
  if (configured !== undefined && configured !== '') {
    return checkedSecret(configured, ENV_JWT_SECRET);
  }
  if (!(opts.allowDevSecret ?? devSecretsAllowedByDefault(env))) {
    throw new AuthConfigError(
      `${ENV_JWT_SECRET} is not set (at least ${MIN_JWT_SECRET_BYTES} bytes, e.g. openssl rand -base64 48)`,
    );
  }
  const file = path.resolve(opts.devSecretFile ?? DEFAULT_DEV_JWT_SECRET_FILE);
  const { content, created } = await readOrCreateSecretFile(
    file,
    () => `${randomBytes(48).toString('base64url')}\n`,
  );
  logger.warn(
    `${created ? 'generated' : 'using'} development JWT secret ${file}; set ${ENV_JWT_SECRET} outside development`,
  );
  return checkedSecret(content.trim(), `development JWT secret file ${file}`);
}

function checkedSecret(secret: string, where: string): Buffer {
  const bytes = Buffer.from(secret, 'utf8');
  if (bytes.length < MIN_JWT_SECRET_BYTES) {
    throw new AuthConfigError(
      `${where} must be at least ${MIN_JWT_SECRET_BYTES} bytes (got ${bytes.length})`,
    );
  }
  return bytes;
}
