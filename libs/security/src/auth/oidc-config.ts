import { AuthConfigError } from './config-error';
import { ALL_PRIVILEGES, PrivilegeGrant, parsePrivilegeClaim } from './privileges';

export const ENV_OIDC_ISSUER = 'SSYNC_OIDC_ISSUER';
export const ENV_OIDC_AUDIENCE = 'SSYNC_OIDC_AUDIENCE';
export const ENV_OIDC_JWKS_URI = 'SSYNC_OIDC_JWKS_URI';
export const ENV_OIDC_PRIVILEGES_CLAIM = 'SSYNC_OIDC_PRIVILEGES_CLAIM';
export const ENV_OIDC_PRIVILEGE_MAP = 'SSYNC_OIDC_PRIVILEGE_MAP';
export const ENV_OIDC_USER_CLAIM = 'SSYNC_OIDC_USER_CLAIM';

export const DEFAULT_OIDC_PRIVILEGES_CLAIM = 'roles';
export const DEFAULT_OIDC_USER_CLAIM = 'sub';

/** Bearer tokens from an OpenID Connect provider. Build it with `loadOidcConfig` (validated once, at boot). */
export interface OidcConfig {
  /** Exactly the tokens' `iss`; tokens that claim it are verified against this provider's keys only. */
  readonly issuer: string;
  /** A token must name one of these in `aud`. */
  readonly audiences: readonly [string, ...string[]];
  /** Undefined: read `jwks_uri` from `${issuer}/.well-known/openid-configuration` when first needed. */
  readonly jwksUri?: URL;
  /** Claim holding the caller's roles or groups: a name, or a dotted path (`realm_access.roles`). */
  readonly privilegesClaim: string;
  /** Role or group → privileges; roles not listed grant nothing. */
  readonly privilegeMap: ReadonlyMap<string, readonly PrivilegeGrant[]>;
  /** Claim holding the user id (`sub`; `oid` for Azure AD's stable object id). */
  readonly userClaim: string;
  /** A discovered `jwks_uri` must be https too (NODE_ENV=production). */
  readonly requireHttps: boolean;
  /** Default 60: tolerated drift between our clock and the provider's, for `exp` and `nbf`. */
  readonly clockSkewSeconds?: number;
  /** Default 10 minutes: keys older than this are fetched again before use. */
  readonly jwksMaxAgeMs?: number;
  /** Default 30 s: at most one refetch per this period, however many unknown `kid`s arrive. */
  readonly jwksRefetchCooldownMs?: number;
  /** Default 5 s, per discovery or JWKS request. */
  readonly fetchTimeoutMs?: number;
}

const OIDC_VARIABLES = [
  ENV_OIDC_AUDIENCE,
  ENV_OIDC_JWKS_URI,
  ENV_OIDC_PRIVILEGES_CLAIM,
  ENV_OIDC_PRIVILEGE_MAP,
  ENV_OIDC_USER_CLAIM,
];

/** Undefined when `SSYNC_OIDC_ISSUER` is unset (HS256 tokens only). Throws `AuthConfigError` naming the variable. */
export function loadOidcConfig(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const issuer = read(ENV_OIDC_ISSUER);
  if (issuer === undefined) {
    // A half-configured provider would silently refuse every one of its tokens; say so at boot instead.
    const stray = OIDC_VARIABLES.filter((name) => read(name) !== undefined);
    if (stray.length > 0) throw new AuthConfigError(`${stray.join(', ')} set without ${ENV_OIDC_ISSUER}`);
    return undefined;
  }
  const production = env.NODE_ENV === 'production';
  const issuerUrl = parseUrl(issuer, ENV_OIDC_ISSUER);
  const configuredJwks = read(ENV_OIDC_JWKS_URI);
  const jwksUri = configuredJwks === undefined ? undefined : parseUrl(configuredJwks, ENV_OIDC_JWKS_URI);
  if (production) {
    // The keys decide who is an administrator: fetched in clear, anyone on the path could substitute their own.
    if (jwksUri !== undefined && jwksUri.protocol !== 'https:') {
      throw new AuthConfigError(`${ENV_OIDC_JWKS_URI} must be an https URL with NODE_ENV=production`);
    }
    if (jwksUri === undefined && issuerUrl.protocol !== 'https:') {
      throw new AuthConfigError(
        `${ENV_OIDC_ISSUER} must be an https URL with NODE_ENV=production (its discovery document names the keys), ` +
          `or set an https ${ENV_OIDC_JWKS_URI}`,
      );
    }
  }
  const audiences = (read(ENV_OIDC_AUDIENCE) ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  const [firstAudience, ...otherAudiences] = audiences;
  if (firstAudience === undefined) {
    // Without it, a token the provider issued to any other client would be accepted here.
    throw new AuthConfigError(
      `${ENV_OIDC_AUDIENCE} is required with ${ENV_OIDC_ISSUER} (this API's client id)`,
    );
  }
  return {
    issuer,
    audiences: [firstAudience, ...otherAudiences],
    ...(jwksUri !== undefined ? { jwksUri } : {}),
    privilegesClaim: claimName(
      read(ENV_OIDC_PRIVILEGES_CLAIM) ?? DEFAULT_OIDC_PRIVILEGES_CLAIM,
      ENV_OIDC_PRIVILEGES_CLAIM,
    ),
    privilegeMap: parsePrivilegeMap(read(ENV_OIDC_PRIVILEGE_MAP)),
    userClaim: claimName(read(ENV_OIDC_USER_CLAIM) ?? DEFAULT_OIDC_USER_CLAIM, ENV_OIDC_USER_CLAIM),
    requireHttps: production,
  };
}

/**
 * `{"ssync-admins":["SystemAdmin"],"mail-users":["MailboxRead:User"]}`; a privilege may also be a lone string, and
 * names a depth as a token's claim does (bare: organization).
 */
export function parsePrivilegeMap(json: string | undefined): ReadonlyMap<string, readonly PrivilegeGrant[]> {
  if (json === undefined) {
    throw new AuthConfigError(
      `${ENV_OIDC_PRIVILEGE_MAP} is required with ${ENV_OIDC_ISSUER}, e.g. {"ssync-admins":["SystemAdmin"]}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new AuthConfigError(
      `${ENV_OIDC_PRIVILEGE_MAP} is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AuthConfigError(`${ENV_OIDC_PRIVILEGE_MAP} must be a JSON object of role → privilege names`);
  }
  const map = new Map<string, readonly PrivilegeGrant[]>();
  const unknown: string[] = [];
  for (const [role, value] of Object.entries(parsed)) {
    const names: unknown[] = Array.isArray(value) ? value : [value];
    const grants: PrivilegeGrant[] = [];
    for (const name of names) {
      try {
        if (typeof name !== 'string') throw new Error('not a string');
        grants.push(parsePrivilegeClaim(name));
      } catch {
        unknown.push(`${role}: ${JSON.stringify(name)}`);
      }
    }
    map.set(role, grants);
  }
  if (unknown.length > 0) {
    throw new AuthConfigError(
      `${ENV_OIDC_PRIVILEGE_MAP} names unknown privilege(s) (${unknown.join('; ')}); valid: ${ALL_PRIVILEGES.join(', ')}` +
        `, with :User after MailboxRead or MailboxWrite for user depth`,
    );
  }
  if (map.size === 0) throw new AuthConfigError(`${ENV_OIDC_PRIVILEGE_MAP} maps no role`);
  return map;
}

function parseUrl(value: string, variable: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AuthConfigError(`${variable} must be an absolute URL (got ${JSON.stringify(value)})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AuthConfigError(`${variable} must be an http(s) URL (got ${JSON.stringify(value)})`);
  }
  return url;
}

function claimName(value: string, variable: string): string {
  if (value.split('.').some((part) => part === '')) {
    throw new AuthConfigError(
      `${variable} must be a claim name or a dotted path (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}
