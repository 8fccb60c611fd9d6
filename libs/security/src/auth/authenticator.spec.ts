import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { TestOidcProvider } from '@ssync/testing/oidc-provider';
import { AuthConfig } from './auth-config';
import { Authenticator } from './authenticator';
import { SigningKeysUnavailableError } from './jwks';
import { OidcConfig } from './oidc-config';
import { claimAt } from './oidc-verifier';
import { Privilege } from './privileges';
import { TokenService } from './token.service';

const jwtSecret = randomBytes(32);
const COOLDOWN_MS = 30_000;
const MAX_AGE_MS = 600_000;

const org = (privilege: Privilege) => ({ privilege, depth: 'Organization' as const });

describe('Authenticator with an OpenID Connect provider', () => {
  let provider: TestOidcProvider;
  let clockMs: number;
  const nowSeconds = () => Math.floor(clockMs / 1000);

  beforeAll(async () => {
    provider = await TestOidcProvider.start();
  });
  afterAll(async () => {
    await provider.close();
  });
  let warnings: string[];
  beforeEach(() => {
    clockMs = Date.now();
    provider.down = false;
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
  });
  afterEach(() => jest.restoreAllMocks());

  function oidcConfig(overrides: Partial<OidcConfig> = {}): OidcConfig {
    return {
      issuer: provider.issuer,
      audiences: ['ssync-api'],
      privilegesClaim: 'realm_access.roles',
      privilegeMap: new Map([
        ['ssync-admins', [org(Privilege.SystemAdmin)]],
        ['mail-readers', [org(Privilege.MailboxRead)]],
        ['approvers', [org(Privilege.MailboxRead), org(Privilege.ApproveEmail)]],
        ['staff', [{ privilege: Privilege.MailboxRead, depth: 'User' }]],
      ]),
      userClaim: 'sub',
      requireHttps: false,
      jwksRefetchCooldownMs: COOLDOWN_MS,
      jwksMaxAgeMs: MAX_AGE_MS,
      ...overrides,
    };
  }
  /** A fresh authenticator: its key cache starts empty. */
  function authenticator(overrides: Partial<OidcConfig> = {}): Authenticator {
    const config: AuthConfig = { jwtSecret, now: () => clockMs, oidc: oidcConfig(overrides) };
    return new Authenticator(new TokenService(config), config);
  }
  const alice = (roles: unknown = ['mail-readers', 'approvers', 'unrelated']) => ({
    sub: 'alice-sub',
    name: 'Alice',
    realm_access: { roles },
  });
  const sign = (claims: Record<string, unknown>, options: Parameters<TestOidcProvider['sign']>[1] = {}) =>
    provider.sign(claims, { nowSeconds: nowSeconds(), ...options });
  const refusal = (code: string, message: string | RegExp): unknown =>
    expect.objectContaining({ name: 'AuthenticationError', code, message: expect.stringMatching(message) });

  describe('signs in', () => {
    it('an RS256 token, with the privileges its roles map to; unmapped roles grant nothing', async () => {
      await expect(authenticator().authenticate(sign(alice()))).resolves.toEqual({
        userId: 'alice-sub',
        name: 'Alice',
        privileges: new Set([Privilege.MailboxRead, Privilege.ApproveEmail]),
      });
    });

    it('an ES256 token; the name falls back to preferred_username', async () => {
      const token = sign({ sub: 'bob', preferred_username: 'bob@example.org' }, { alg: 'ES256' });
      expect(jwt.decode(token, { complete: true })?.header.alg).toBe('ES256');
      const principal = await authenticator().authenticate(token);
      expect(principal).toMatchObject({ userId: 'bob', name: 'bob@example.org' });
    });

    it('a role mapped to a user-depth privilege: held at user depth, unless another role gives it wider', async () => {
      const staff = await authenticator().authenticate(sign(alice(['staff'])));
      expect(staff).toMatchObject({
        privileges: new Set([Privilege.MailboxRead]),
        userDepth: new Set([Privilege.MailboxRead]),
      });
      const both = await authenticator().authenticate(sign(alice(['staff', 'mail-readers'])));
      expect(both.userDepth).toBeUndefined();
    });

    it('a caller whose groups map to nothing, as a principal without privileges (a 403, not a 401)', async () => {
      const principal = await authenticator().authenticate(sign(alice(['guests'])));
      expect(principal.privileges).toEqual(new Set());
      const noClaim = await authenticator().authenticate(sign({ sub: 'carol' }));
      expect(noClaim).toEqual({ userId: 'carol', name: 'carol', privileges: new Set() });
    });

    it('a lone role sent as a string, and a top-level claim such as Azure AD groups', async () => {
      expect((await authenticator().authenticate(sign(alice('ssync-admins')))).privileges).toEqual(
        new Set([Privilege.SystemAdmin]),
      );
      const azure = authenticator({ privilegesClaim: 'groups', userClaim: 'oid' });
      const principal = await azure.authenticate(
        sign({ sub: 'pairwise', oid: 'object-id-1', groups: ['ssync-admins'] }),
      );
      expect(principal).toMatchObject({
        userId: 'object-id-1',
        privileges: new Set([Privilege.SystemAdmin]),
      });
    });

    it('still takes the CLI HS256 tokens and SSYNC_DEV_TOKEN', async () => {
      const config: AuthConfig = { jwtSecret, devToken: 'dev-token', oidc: oidcConfig() };
      const tokens = new TokenService(config);
      const auth = new Authenticator(tokens, config);
      const cli = tokens.issueToken({ userId: 'ops', name: 'Ops', privileges: [Privilege.MailboxRead] });
      await expect(auth.authenticate(cli)).resolves.toMatchObject({ userId: 'ops' });
      await expect(auth.authenticate('dev-token')).resolves.toMatchObject({ userId: 'dev-admin' });
    });
  });

  describe('refuses', () => {
    it.each<[string, () => string, string, RegExp]>([
      [
        'another audience',
        () => sign({ ...alice(), aud: 'another-client' }),
        'invalid-token',
        /audience invalid/,
      ],
      [
        'a token expired longer ago than the clock skew',
        () => sign(alice(), { nowSeconds: nowSeconds() - 400, ttlSeconds: 300 }),
        'expired-token',
        /^token expired$/,
      ],
      [
        'a token not yet valid',
        () => sign({ ...alice(), nbf: nowSeconds() + 600 }),
        'invalid-token',
        /not active/,
      ],
      [
        'an unknown kid',
        () => sign(alice()).replace(/^[^.]+/, header({ alg: 'RS256', kid: 'nope' })),
        'invalid-token',
        /no signing key nope/,
      ],
      [
        'a tampered payload',
        () => tamper(sign(alice(['mail-readers']))),
        'invalid-token',
        /invalid signature/,
      ],
      ['a token without sub', () => sign({ name: 'No One' }), 'invalid-token', /no sub claim/],
      [
        'an HS256 token claiming the provider (signed with our own secret)',
        () =>
          jwt.sign({ ...alice(), iss: provider.issuer, aud: 'ssync-api' }, jwtSecret, { algorithm: 'HS256' }),
        'invalid-token',
        /algorithm HS256 is not accepted/,
      ],
      [
        'an unsigned token (alg none) claiming the provider',
        () => `${header({ alg: 'none' })}.${body({ ...alice(), iss: provider.issuer, aud: 'ssync-api' })}.`,
        'invalid-token',
        /algorithm none is not accepted/,
      ],
      [
        'a provider-signed token naming another issuer (it goes to HS256, which refuses it)',
        () => sign({ ...alice(), iss: 'https://elsewhere.example' }),
        'invalid-token',
        /invalid algorithm/,
      ],
    ])('%s', async (_case, token, code, message) => {
      await expect(authenticator().authenticate(token())).rejects.toEqual(refusal(code, message));
    });

    it('accepts a token expired within the clock skew', async () => {
      const token = sign(alice(), { nowSeconds: nowSeconds() - 330, ttlSeconds: 300 });
      await expect(authenticator().authenticate(token)).resolves.toMatchObject({ userId: 'alice-sub' });
    });

    it('lets no key sign for another algorithm: an RS256 header over the ES256 key has no key', async () => {
      const esKid = jwt.decode(sign(alice(), { alg: 'ES256' }), { complete: true })?.header.kid ?? '';
      const forged = sign(alice(), { alg: 'ES256' }).replace(/^[^.]+/, header({ alg: 'RS256', kid: esKid }));
      await expect(authenticator().authenticate(forged)).rejects.toEqual(
        refusal('invalid-token', /no signing key/),
      );
    });
  });

  describe('keys', () => {
    it('ignores RSA keys shorter than 2048 bits', async () => {
      const kid = provider.addKey('RS256', 1024);
      try {
        await expect(authenticator().authenticate(sign(alice(), { kid }))).rejects.toEqual(
          refusal('invalid-token', /no signing key rs256-/),
        );
      } finally {
        provider.removeKey(kid);
      }
    });

    it('discovers the JWKS from the issuer once and serves later tokens from the cache', async () => {
      const before = { jwks: provider.jwksRequests, discovery: provider.discoveryRequests };
      const auth = authenticator();
      for (const alg of ['RS256', 'ES256', 'RS256'] as const) await auth.authenticate(sign(alice(), { alg }));
      expect(provider.jwksRequests - before.jwks).toBe(1);
      expect(provider.discoveryRequests - before.discovery).toBe(1);
    });

    it('an explicit JWKS URI skips discovery', async () => {
      const before = provider.discoveryRequests;
      await authenticator({ jwksUri: new URL(provider.jwksUri) }).authenticate(sign(alice()));
      expect(provider.discoveryRequests).toBe(before);
    });

    it('follows a rotation: a token with the new kid verifies after one refetch; the withdrawn key stops working', async () => {
      const auth = authenticator();
      const old = sign(alice());
      await auth.authenticate(old);
      clockMs += COOLDOWN_MS;
      const kid = provider.rotate('RS256');
      const before = provider.jwksRequests;
      await expect(auth.authenticate(sign(alice(), { kid }))).resolves.toMatchObject({ userId: 'alice-sub' });
      expect(provider.jwksRequests - before).toBe(1);
      await expect(auth.authenticate(old)).rejects.toEqual(refusal('invalid-token', /no signing key/));
      expect(provider.jwksRequests - before).toBe(1);
      provider.addKey('ES256');
    });

    it('refetches for unknown kids at most once per cooldown', async () => {
      const auth = authenticator();
      await auth.authenticate(sign(alice()));
      const made = (kid: string) => sign(alice()).replace(/^[^.]+/, header({ alg: 'RS256', kid }));
      clockMs += COOLDOWN_MS;
      const before = provider.jwksRequests;
      const results = await Promise.allSettled(
        ['k1', 'k2', 'k3', 'k4', 'k5'].map((k) => auth.authenticate(made(k))),
      );
      expect(results.every((r) => r.status === 'rejected')).toBe(true);
      expect(provider.jwksRequests - before).toBe(1);
      await expect(auth.authenticate(made('k6'))).rejects.toEqual(refusal('invalid-token', /no signing key/));
      expect(provider.jwksRequests - before).toBe(1);
      clockMs += COOLDOWN_MS;
      await expect(auth.authenticate(made('k7'))).rejects.toEqual(refusal('invalid-token', /no signing key/));
      expect(provider.jwksRequests - before).toBe(2);
    });

    it('fetches the keys again once they are older than the max age', async () => {
      const auth = authenticator();
      await auth.authenticate(sign(alice()));
      const before = provider.jwksRequests;
      clockMs += MAX_AGE_MS - 1;
      await auth.authenticate(sign(alice()));
      expect(provider.jwksRequests).toBe(before);
      clockMs += 1;
      await auth.authenticate(sign(alice()));
      expect(provider.jwksRequests).toBe(before + 1);
    });

    it('says the keys are unavailable when the provider is down, and does not hammer it within the cooldown', async () => {
      const auth = authenticator();
      provider.down = true;
      const before = provider.requests;
      await expect(auth.authenticate(sign(alice()))).rejects.toBeInstanceOf(SigningKeysUnavailableError);
      await expect(auth.authenticate(sign(alice()))).rejects.toThrow(
        "the identity provider's signing keys cannot be fetched; retry later",
      );
      expect(provider.requests - before).toBe(1);
      expect(warnings).toEqual([
        `cannot fetch the signing keys of ${provider.issuer}: ${provider.issuer}/.well-known/openid-configuration answered 503`,
      ]);
      provider.down = false;
      clockMs += COOLDOWN_MS;
      await expect(auth.authenticate(sign(alice()))).resolves.toMatchObject({ userId: 'alice-sub' });
    });

    it('refuses a discovery document that names another issuer', async () => {
      const auth = authenticator({ issuer: `${provider.issuer}/`, audiences: ['ssync-api'] });
      const token = sign({ ...alice(), iss: `${provider.issuer}/` });
      await expect(auth.authenticate(token)).rejects.toBeInstanceOf(SigningKeysUnavailableError);
      expect(warnings).toEqual([expect.stringMatching(/openid-configuration names another issuer/)]);
    });
  });
});

describe('claimAt', () => {
  it('reads a name, a dotted path, and prefers an exact (URI) name over a path', () => {
    const claims = {
      roles: ['a'],
      realm_access: { roles: ['b'] },
      'http://schemas.microsoft.com/ws/2008/06/identity/claims/role': ['c'],
    };
    expect(claimAt(claims, 'roles')).toEqual(['a']);
    expect(claimAt(claims, 'realm_access.roles')).toEqual(['b']);
    expect(claimAt(claims, 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role')).toEqual(['c']);
    expect(claimAt(claims, 'realm_access.missing.roles')).toBeUndefined();
    expect(claimAt(claims, 'roles.length')).toBeUndefined();
  });
});

function header(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ typ: 'JWT', ...value })).toString('base64url');
}

function body(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The same token with one more role in its payload, signature unchanged. */
function tamper(token: string): string {
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8'));
  claims.realm_access.roles.push('ssync-admins');
  return `${h}.${body(claims)}.${s}`;
}
