import { Logger } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { SecurityLogger } from '../shared/secret-file';
import { JwksCache, OIDC_ALGORITHMS, OidcAlgorithm } from './jwks';
import { OidcConfig } from './oidc-config';
import { Principal, principalPrivileges } from './privileges';
import { AuthenticationError } from './token.service';

export const DEFAULT_OIDC_CLOCK_SKEW_SECONDS = 60;

/**
 * RS256/ES256 access tokens from one OpenID Connect provider: signature by its JWKS, then `iss`, `aud`, `exp` (and
 * `nbf`) with a little clock skew. Privileges come only from the configured role/group claim through the map; a
 * `privileges` claim in the token counts for nothing.
 */
export class OidcVerifier {
  readonly issuer: string;
  private readonly keys: JwksCache;

  constructor(
    private readonly config: OidcConfig,
    private readonly now: () => number = Date.now,
    logger: SecurityLogger = new Logger('OidcVerifier'),
  ) {
    this.issuer = config.issuer;
    this.keys = new JwksCache({
      issuer: config.issuer,
      ...(config.jwksUri !== undefined ? { jwksUri: config.jwksUri } : {}),
      requireHttps: config.requireHttps,
      ...(config.jwksMaxAgeMs !== undefined ? { maxAgeMs: config.jwksMaxAgeMs } : {}),
      ...(config.jwksRefetchCooldownMs !== undefined
        ? { refetchCooldownMs: config.jwksRefetchCooldownMs }
        : {}),
      ...(config.fetchTimeoutMs !== undefined ? { fetchTimeoutMs: config.fetchTimeoutMs } : {}),
      now,
      logger,
    });
  }

  /** Throws `AuthenticationError` (401), or `SigningKeysUnavailableError` (503) when the provider cannot be reached. */
  async verify(token: string): Promise<Principal> {
    const header = jwt.decode(token, { complete: true })?.header;
    if (header === undefined) throw invalid('unreadable');
    // Algorithm confusion: a token naming this issuer is only ever checked with the provider's public keys.
    if (!isOidcAlgorithm(header.alg))
      throw invalid(`algorithm ${header.alg} is not accepted for ${this.issuer}`);
    const key = await this.keys.key(header.kid, header.alg);
    if (key === undefined) throw invalid(`no signing key ${header.kid ?? '(no kid)'} at ${this.issuer}`);

    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, key, {
        algorithms: [header.alg],
        issuer: this.issuer,
        audience: [...this.config.audiences],
        clockTolerance: this.config.clockSkewSeconds ?? DEFAULT_OIDC_CLOCK_SKEW_SECONDS,
        clockTimestamp: Math.floor(this.now() / 1000),
      });
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError)
        throw new AuthenticationError('expired-token', 'token expired');
      throw invalid(err instanceof Error ? err.message : 'unreadable');
    }
    if (typeof payload === 'string') throw invalid('not a claims set');
    if (typeof payload.exp !== 'number') throw invalid('no expiry');
    return this.principal(payload);
  }

  private principal(claims: jwt.JwtPayload): Principal {
    const userId = claimAt(claims, this.config.userClaim);
    if (typeof userId !== 'string' || userId === '') throw invalid(`no ${this.config.userClaim} claim`);
    const name = [claims.name, claims.preferred_username].find(
      (v): v is string => typeof v === 'string' && v !== '',
    );
    return {
      userId,
      name: name ?? userId,
      ...this.privilegesOf(claimAt(claims, this.config.privilegesClaim)),
    };
  }

  /** Roles the map does not list grant nothing: an authenticated caller without privileges gets 403, not 401. */
  private privilegesOf(roles: unknown): Pick<Principal, 'privileges' | 'userDepth'> {
    // Some providers send a lone role as a string rather than a one-element array.
    const names = typeof roles === 'string' ? [roles] : Array.isArray(roles) ? roles : [];
    return principalPrivileges(
      names.flatMap((role) => (typeof role === 'string' ? (this.config.privilegeMap.get(role) ?? []) : [])),
    );
  }
}

/**
 * A claim by name or dotted path (`realm_access.roles`). The exact name wins, so URI-named claims such as Azure's
 * `http://schemas.microsoft.com/ws/2008/06/identity/claims/role` still work.
 */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let node: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, part)) {
      return undefined;
    }
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function isOidcAlgorithm(alg: string): alg is OidcAlgorithm {
  return (OIDC_ALGORITHMS as readonly string[]).includes(alg);
}

function invalid(reason: string): AuthenticationError {
  return new AuthenticationError('invalid-token', `invalid token: ${reason}`);
}
