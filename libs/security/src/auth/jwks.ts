import { JsonWebKey, KeyObject, createPublicKey } from 'node:crypto';
import { SecurityLogger } from '../shared/secret-file';

export type OidcAlgorithm = 'RS256' | 'ES256';
export const OIDC_ALGORITHMS: readonly OidcAlgorithm[] = ['RS256', 'ES256'];

export const DEFAULT_JWKS_MAX_AGE_MS = 10 * 60_000;
export const DEFAULT_JWKS_REFETCH_COOLDOWN_MS = 30_000;
export const DEFAULT_OIDC_FETCH_TIMEOUT_MS = 5_000;
export const MIN_RSA_KEY_BITS = 2048;

/**
 * The provider's keys could not be fetched (and none fresh are cached): not the caller's fault (maps to 503). The
 * reason goes to the log only: the provider's URL and our network errors are no business of an anonymous caller.
 */
export class SigningKeysUnavailableError extends Error {
  override readonly name = 'SigningKeysUnavailableError';
  constructor() {
    super("the identity provider's signing keys cannot be fetched; retry later");
  }
}

export interface JwksCacheOptions {
  readonly issuer: string;
  /** Undefined: discovered from the issuer. */
  readonly jwksUri?: URL;
  readonly requireHttps: boolean;
  readonly maxAgeMs?: number;
  readonly refetchCooldownMs?: number;
  readonly fetchTimeoutMs?: number;
  readonly now: () => number;
  /** Told why each fetch failed (at most one per cooldown); callers only learn that the keys are unavailable. */
  readonly logger?: SecurityLogger;
}

interface SigningKey {
  readonly kid: string | undefined;
  /** The key's own `alg`, when the provider states it: then no other algorithm may use the key. */
  readonly alg: string | undefined;
  readonly key: KeyObject;
}

/**
 * The provider's signing keys, fetched when first needed, again once older than `maxAgeMs`, and again when a token
 * names a `kid` we do not hold (the provider rotated) — but at most once per `refetchCooldownMs`, so a flood of
 * made-up `kid`s cannot make us flood the provider. Each fetch replaces the whole set, so retired keys go.
 */
export class JwksCache {
  private keys: readonly SigningKey[] = [];
  private fetchedAtMs: number | undefined;
  private lastAttemptMs: number | undefined;
  private lastError: Error | undefined;
  private inFlight: Promise<void> | undefined;
  private discoveredJwksUri: URL | undefined;
  private readonly maxAgeMs: number;
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: JwksCacheOptions) {
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_JWKS_MAX_AGE_MS;
    this.cooldownMs = options.refetchCooldownMs ?? DEFAULT_JWKS_REFETCH_COOLDOWN_MS;
    this.timeoutMs = options.fetchTimeoutMs ?? DEFAULT_OIDC_FETCH_TIMEOUT_MS;
  }

  /**
   * The public key for a token's header, or undefined when the provider has none that fits. Throws
   * `SigningKeysUnavailableError` when no fresh set can be had.
   */
  async key(kid: string | undefined, alg: OidcAlgorithm): Promise<KeyObject | undefined> {
    if (!this.fresh()) await this.refresh(true);
    const found = this.find(kid, alg);
    if (found !== undefined) return found;
    // A refetch under way may bring this kid; otherwise only one per cooldown.
    if (this.inFlight === undefined && !this.mayRefetch()) return undefined;
    await this.refresh(false);
    return this.find(kid, alg);
  }

  private fresh(): boolean {
    return this.fetchedAtMs !== undefined && this.options.now() - this.fetchedAtMs < this.maxAgeMs;
  }

  private mayRefetch(): boolean {
    return this.lastAttemptMs === undefined || this.options.now() - this.lastAttemptMs >= this.cooldownMs;
  }

  private find(kid: string | undefined, alg: OidcAlgorithm): KeyObject | undefined {
    const fits = this.keys.filter(
      (k) => (k.alg === undefined || k.alg === alg) && keyTypeFor(alg) === k.key.asymmetricKeyType,
    );
    if (kid !== undefined) return fits.find((k) => k.kid === kid)?.key;
    // A token without `kid` is only unambiguous when the provider has one key for its algorithm.
    return fits.length === 1 ? fits[0]?.key : undefined;
  }

  /** `required`: the cache is empty or stale, so a failure (now or recent) is the caller's 503. */
  private async refresh(required: boolean): Promise<void> {
    if (this.inFlight === undefined) {
      if (!this.mayRefetch()) {
        if (!required) return;
        // Within the cooldown after a failed attempt: answer at once rather than ask the provider again.
        if (this.lastError !== undefined) throw new SigningKeysUnavailableError();
      }
      this.lastAttemptMs = this.options.now();
      this.inFlight = this.fetchKeys().finally(() => (this.inFlight = undefined));
    }
    try {
      await this.inFlight;
    } catch {
      if (required || this.keys.length === 0) throw new SigningKeysUnavailableError();
    }
  }

  private async fetchKeys(): Promise<void> {
    try {
      const uri = this.options.jwksUri ?? this.discoveredJwksUri ?? (await this.discover());
      const body = await this.getJson(uri);
      const entries = isRecord(body) && Array.isArray(body.keys) ? (body.keys as unknown[]) : undefined;
      if (entries === undefined) throw new Error(`${uri.href} is not a JWK set (no "keys" array)`);
      this.keys = entries.flatMap(signingKey);
      this.fetchedAtMs = this.options.now();
      this.lastError = undefined;
    } catch (err) {
      this.lastError = err instanceof Error ? err : new Error(String(err));
      this.options.logger?.warn(
        `cannot fetch the signing keys of ${this.options.issuer}: ${this.lastError.message}`,
      );
      throw this.lastError;
    }
  }

  /** OpenID Connect Discovery 1.0 §4: the document must name the very issuer we were configured with. */
  private async discover(): Promise<URL> {
    const url = new URL(`${this.options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
    const doc = await this.getJson(url);
    if (!isRecord(doc) || doc.issuer !== this.options.issuer) {
      throw new Error(`${url.href} names another issuer (${isRecord(doc) ? String(doc.issuer) : 'none'})`);
    }
    if (typeof doc.jwks_uri !== 'string') throw new Error(`${url.href} has no jwks_uri`);
    const jwksUri = new URL(doc.jwks_uri);
    if (this.options.requireHttps && jwksUri.protocol !== 'https:') {
      throw new Error(`${url.href} names a jwks_uri that is not https (${jwksUri.href})`);
    }
    this.discoveredJwksUri = jwksUri;
    return jwksUri;
  }

  private async getJson(url: URL): Promise<unknown> {
    const res = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`${url.href} answered ${res.status}`);
    return res.json();
  }
}

function keyTypeFor(alg: OidcAlgorithm): 'rsa' | 'ec' {
  switch (alg) {
    case 'RS256':
      return 'rsa';
    case 'ES256':
      return 'ec';
  }
}

/** The JWK as a public key, or nothing: encryption, symmetric, short RSA and unreadable keys are skipped. */
function signingKey(jwk: unknown): SigningKey[] {
  if (
    !isRecord(jwk) ||
    (jwk.kty !== 'RSA' && jwk.kty !== 'EC') ||
    (jwk.use !== undefined && jwk.use !== 'sig')
  ) {
    return [];
  }
  try {
    // Only the public members: a provider that leaked `d` must not make us hold a private key.
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
    const key = createPublicKey({ key: pub as JsonWebKey, format: 'jwk' });
    // jsonwebtoken checks RSA key sizes only when signing; short keys can be factored.
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (key.asymmetricKeyType === 'rsa' && (bits === undefined || bits < MIN_RSA_KEY_BITS)) return [];
    return [
      {
        kid: typeof jwk.kid === 'string' ? jwk.kid : undefined,
        alg: typeof jwk.alg === 'string' ? jwk.alg : undefined,
        key,
      },
    ];
  } catch {
    return [];
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
