import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { AuthConfig, LoadAuthConfigOptions, loadAuthConfig } from './auth-config';
import {
  Principal,
  Privilege,
  PrivilegeClaim,
  canonicalClaims,
  parsePrivilegeClaim,
  privilegesFromClaims,
} from './privileges';

export const AUTH_CONFIG = 'AUTH_CONFIG';
export const TOKEN_ISSUER = 'ssync';
export const TOKEN_AUDIENCE = 'ssync-api';
export const DEV_ADMIN_USER_ID = 'dev-admin';
export const DEV_ADMIN_NAME = 'Development admin';
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

export type AuthenticationErrorCode = 'missing-token' | 'invalid-token' | 'expired-token';

/** The caller is not authenticated (maps to 401). */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
  constructor(
    readonly code: AuthenticationErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface IssueTokenInput {
  userId: string;
  name: string;
  /** `MailboxRead` (organization depth) or `MailboxRead:User` (docs/adr/0020). */
  privileges: readonly PrivilegeClaim[];
  /** Default 3600. */
  ttlSeconds?: number;
}

/** HS256 bearer tokens: issuer `ssync`, audience `ssync-api`, claims `sub`, `name`, `privileges`, `iat`, `exp`. */
@Injectable()
export class TokenService {
  // ES private fields: kept out of util.inspect and JSON.stringify, so logging the service leaks nothing.
  readonly #secret: Buffer;
  readonly #devTokenDigest: Buffer | undefined;
  private readonly now: () => number;

  constructor(@Inject(AUTH_CONFIG) config: AuthConfig) {
    this.#secret = config.jwtSecret;
    this.now = config.now ?? Date.now;
    // Digests have equal length whatever the input, so timingSafeEqual can compare them without leaking length.
    this.#devTokenDigest = config.devToken ? sha256(config.devToken) : undefined;
  }

  issueToken({ userId, name, privileges, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS }: IssueTokenInput): string {
    if (userId.trim() === '') throw new RangeError('userId must not be empty');
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
      throw new RangeError('ttlSeconds must be a positive integer');
    const grants = privileges.map((p) => {
      try {
        return parsePrivilegeClaim(p);
      } catch (err) {
        throw new RangeError(err instanceof Error ? err.message : String(err));
      }
    });
    return jwt.sign(
      { name, privileges: canonicalClaims(grants), iat: Math.floor(this.now() / 1000) },
      this.#secret,
      {
        algorithm: 'HS256',
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        subject: userId,
        expiresIn: ttlSeconds,
      },
    );
  }

  /**
   * A valid token's principal; also accepts exactly SSYNC_DEV_TOKEN (when configured) as the dev admin.
   * Throws `AuthenticationError`. Privilege names (and depths) this version does not know are dropped.
   */
  verify(token: string): Principal {
    if (token === '') throw new AuthenticationError('missing-token', 'missing bearer token');
    if (this.#devTokenDigest !== undefined && timingSafeEqual(sha256(token), this.#devTokenDigest)) {
      return devAdminPrincipal();
    }
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, this.#secret, {
        algorithms: ['HS256'],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        clockTimestamp: Math.floor(this.now() / 1000),
      });
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError)
        throw new AuthenticationError('expired-token', 'token expired');
      const reason = err instanceof Error ? err.message : 'unreadable';
      throw new AuthenticationError('invalid-token', `invalid token: ${reason}`);
    }
    if (typeof payload === 'string' || typeof payload.sub !== 'string' || payload.sub === '') {
      throw new AuthenticationError('invalid-token', 'invalid token: no subject');
    }
    if (typeof payload.exp !== 'number')
      throw new AuthenticationError('invalid-token', 'invalid token: no expiry');
    const claims = payload as jwt.JwtPayload & { name?: unknown; privileges?: unknown };
    if (!Array.isArray(claims.privileges)) {
      throw new AuthenticationError('invalid-token', 'invalid token: privileges claim missing');
    }
    return {
      userId: payload.sub,
      name: typeof claims.name === 'string' ? claims.name : payload.sub,
      ...privilegesFromClaims(claims.privileges as unknown[]),
    };
  }
}

export function devAdminPrincipal(): Principal {
  return { userId: DEV_ADMIN_USER_ID, name: DEV_ADMIN_NAME, privileges: new Set([Privilege.SystemAdmin]) };
}

/**
 * A token for `dev-admin` with SystemAdmin, for scripts and tests: SSYNC_DEV_TOKEN when set, otherwise a JWT
 * signed with the configured (or development) secret, valid for `ttlSeconds` (default 12 h).
 */
export async function devAdminToken(
  env: NodeJS.ProcessEnv = process.env,
  opts: LoadAuthConfigOptions & { ttlSeconds?: number } = {},
): Promise<string> {
  const config = await loadAuthConfig(env, opts);
  if (config.devToken !== undefined) return config.devToken;
  return new TokenService(config).issueToken({
    userId: DEV_ADMIN_USER_ID,
    name: DEV_ADMIN_NAME,
    privileges: [Privilege.SystemAdmin],
    ttlSeconds: opts.ttlSeconds ?? 12 * 3600,
  });
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
