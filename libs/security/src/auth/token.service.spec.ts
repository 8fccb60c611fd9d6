import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import jwt from 'jsonwebtoken';
import { AuthConfigError, loadAuthConfig } from './auth-config';
import { Principal, Privilege, hasPrivilege, missingPrivileges, parsePrivileges } from './privileges';
import { AuthenticationError, TokenService, devAdminToken } from './token.service';

const secret = randomBytes(32);
const T0 = Date.UTC(2025, 0, 1);
const quiet = { warn: () => undefined };

function service(overrides: { now?: () => number; devToken?: string; jwtSecret?: Buffer } = {}) {
  return new TokenService({ jwtSecret: secret, now: () => T0, ...overrides });
}
const alice = { userId: 'alice', name: 'Alice', privileges: [Privilege.MailboxRead, Privilege.MailboxWrite] };

describe('TokenService', () => {
  it('issues a token that verifies to the principal', () => {
    const tokens = service();
    const token = tokens.issueToken({ ...alice, ttlSeconds: 600 });
    const claims = jwt.decode(token, { complete: true });
    expect(claims?.header.alg).toBe('HS256');
    expect(claims?.payload).toMatchObject({
      sub: 'alice',
      name: 'Alice',
      privileges: ['MailboxRead', 'MailboxWrite'],
      iss: 'ssync',
      aud: 'ssync-api',
      iat: T0 / 1000,
      exp: T0 / 1000 + 600,
    });
    const principal = tokens.verify(token);
    expect(principal).toEqual({ userId: 'alice', name: 'Alice', privileges: new Set(alice.privileges) });
  });

  it('rejects an expired token with its own code', () => {
    const token = service().issueToken({ ...alice, ttlSeconds: 60 });
    expect(service({ now: () => T0 + 59_000 }).verify(token).userId).toBe('alice');
    expect(() => service({ now: () => T0 + 61_000 }).verify(token)).toThrow(
      expect.objectContaining({
        name: 'AuthenticationError',
        code: 'expired-token',
        message: 'token expired',
      }),
    );
  });

  it('rejects a token signed with another secret', () => {
    const token = service({ jwtSecret: randomBytes(32) }).issueToken(alice);
    expect(() => service().verify(token)).toThrow(
      expect.objectContaining({ code: 'invalid-token', message: 'invalid token: invalid signature' }),
    );
  });

  it.each([
    ['audience', { audience: 'other-api', issuer: 'ssync' }, /audience invalid/],
    ['issuer', { audience: 'ssync-api', issuer: 'someone-else' }, /issuer invalid/],
  ])('rejects the wrong %s', (_what, claims, message) => {
    const token = jwt.sign({ privileges: [], iat: T0 / 1000 }, secret, {
      ...claims,
      subject: 'alice',
      expiresIn: 60,
    });
    expect(() => service().verify(token)).toThrow(AuthenticationError);
    expect(() => service().verify(token)).toThrow(message);
  });

  it('rejects alg=none, a token without expiry, and garbage', () => {
    const none = jwt.sign({ privileges: ['SystemAdmin'] }, '', {
      algorithm: 'none',
      subject: 'mallory',
      audience: 'ssync-api',
      issuer: 'ssync',
    });
    const noExp = jwt.sign({ privileges: [], iat: T0 / 1000 }, secret, {
      subject: 'a',
      audience: 'ssync-api',
      issuer: 'ssync',
    });
    for (const token of [none, noExp, 'not-a-jwt']) {
      expect(() => service().verify(token)).toThrow(expect.objectContaining({ code: 'invalid-token' }));
    }
  });

  it('drops privilege names it does not know', () => {
    const token = jwt.sign({ name: 'A', privileges: ['MailboxRead', 'Teleport'], iat: T0 / 1000 }, secret, {
      subject: 'a',
      audience: 'ssync-api',
      issuer: 'ssync',
      expiresIn: 60,
    });
    expect([...service().verify(token).privileges]).toEqual([Privilege.MailboxRead]);
  });

  it('reads depths from the privileges claim, and drops a depth a privilege cannot have', () => {
    const token = jwt.sign(
      { name: 'A', privileges: ['MailboxRead:User', 'MailboxWrite', 'ApproveEmail:User'], iat: T0 / 1000 },
      secret,
      { subject: 'a', audience: 'ssync-api', issuer: 'ssync', expiresIn: 60 },
    );
    const principal = service().verify(token);
    expect([...principal.privileges]).toEqual([Privilege.MailboxRead, Privilege.MailboxWrite]);
    expect([...(principal.userDepth ?? [])]).toEqual([Privilege.MailboxRead]);
  });

  it('keeps the secret out of inspect and JSON', () => {
    const tokens = service({ devToken: 'opaque-dev-token' });
    const shown = inspect(tokens, { depth: 10, showHidden: true }) + JSON.stringify(tokens);
    expect(shown).not.toContain(secret.toString('hex').slice(0, 16));
    expect(shown).not.toMatch(/<Buffer/);
    expect(shown).not.toContain('opaque-dev-token');
  });

  it('validates what it is asked to issue', () => {
    expect(() => service().issueToken({ ...alice, userId: ' ' })).toThrow(/userId/);
    expect(() => service().issueToken({ ...alice, ttlSeconds: 0 })).toThrow(/ttlSeconds/);
    expect(() => service().issueToken({ ...alice, privileges: ['Nope' as Privilege] })).toThrow(/Nope/);
    expect(() => service().issueToken({ ...alice, privileges: ['ProfileAdmin:User'] })).toThrow(
      /ProfileAdmin has organization depth only/,
    );
  });

  describe('SSYNC_DEV_TOKEN', () => {
    it('accepts exactly that string as the dev admin', () => {
      const tokens = service({ devToken: 'operator-chosen opaque string' });
      const principal = tokens.verify('operator-chosen opaque string');
      expect(principal.userId).toBe('dev-admin');
      expect(principal.privileges).toEqual(new Set([Privilege.SystemAdmin]));
      for (const near of [
        'operator-chosen opaque strin',
        'operator-chosen opaque string ',
        'OPERATOR-chosen opaque string',
      ]) {
        expect(() => tokens.verify(near)).toThrow(AuthenticationError);
      }
    });

    it('is ignored when empty, and JWTs keep working next to it', async () => {
      const config = await loadAuthConfig(
        { SSYNC_JWT_SECRET: 'x'.repeat(32), SSYNC_DEV_TOKEN: '' },
        { logger: quiet },
      );
      expect(config.devToken).toBeUndefined();
      expect(() => new TokenService(config).verify('')).toThrow(
        expect.objectContaining({ code: 'missing-token' }),
      );
      const withDev = service({ devToken: 'dev' });
      expect(withDev.verify(withDev.issueToken(alice)).userId).toBe('alice');
    });

    it('devAdminToken returns SSYNC_DEV_TOKEN when set, otherwise a SystemAdmin JWT for dev-admin', async () => {
      const env = { SSYNC_JWT_SECRET: 's'.repeat(40) };
      expect(await devAdminToken({ ...env, SSYNC_DEV_TOKEN: 'opaque' }, { logger: quiet })).toBe('opaque');
      const token = await devAdminToken(env, { logger: quiet });
      const principal = new TokenService(await loadAuthConfig(env, { logger: quiet })).verify(token);
      expect(principal.userId).toBe('dev-admin');
      expect(hasPrivilege(principal, Privilege.ApproveEmail)).toBe(true);
    });
  });
});

describe('privileges', () => {
  const reader: Principal = { userId: 'r', name: 'R', privileges: new Set([Privilege.MailboxRead]) };
  const admin: Principal = { userId: 'a', name: 'A', privileges: new Set([Privilege.SystemAdmin]) };

  it('SystemAdmin holds every privilege; others only their own', () => {
    expect(missingPrivileges(admin, [Privilege.ApproveEmail, Privilege.ProfileAdmin])).toEqual([]);
    expect(
      missingPrivileges(reader, [Privilege.MailboxRead, Privilege.MailboxWrite, Privilege.MailboxWrite]),
    ).toEqual([Privilege.MailboxWrite]);
    expect(hasPrivilege(reader, Privilege.SystemAdmin)).toBe(false);
  });

  it('parses a comma list and names unknown entries', () => {
    expect(parsePrivileges(' MailboxRead, ApproveEmail ,')).toEqual([
      Privilege.MailboxRead,
      Privilege.ApproveEmail,
    ]);
    expect(() => parsePrivileges('MailboxRead,mailboxwrite')).toThrow(
      /unknown privilege\(s\) mailboxwrite; valid: MailboxRead/,
    );
  });
});

describe('loadAuthConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ssync-auth-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('refuses a short SSYNC_JWT_SECRET, naming it', async () => {
    await expect(loadAuthConfig({ SSYNC_JWT_SECRET: 'short' })).rejects.toThrow(AuthConfigError);
    await expect(loadAuthConfig({ SSYNC_JWT_SECRET: 'short' })).rejects.toThrow(
      'SSYNC_JWT_SECRET must be at least 32 bytes (got 5)',
    );
  });

  it('requires SSYNC_JWT_SECRET in production', async () => {
    await expect(
      loadAuthConfig({ NODE_ENV: 'production' }, { devSecretFile: path.join(dir, 's') }),
    ).rejects.toThrow(/SSYNC_JWT_SECRET is not set/);
  });

  it('stops a production process that was given SSYNC_DEV_TOKEN, saying why', async () => {
    const secret = 'x'.repeat(48);
    await expect(
      loadAuthConfig({ NODE_ENV: 'production', SSYNC_JWT_SECRET: secret, SSYNC_DEV_TOKEN: 'letmein' }),
    ).rejects.toThrow(/SSYNC_DEV_TOKEN is set with NODE_ENV=production: anyone holding that string/);
    await expect(
      loadAuthConfig({ NODE_ENV: 'production', SSYNC_JWT_SECRET: secret }),
    ).resolves.not.toHaveProperty('devToken');
  });

  it('generates one development secret for concurrent starts and reuses it', async () => {
    const devSecretFile = path.join(dir, 'jwt-secret');
    const configs = await Promise.all(
      [1, 2, 3].map(() => loadAuthConfig({}, { devSecretFile, logger: quiet })),
    );
    const [first] = configs;
    for (const c of configs) expect(c.jwtSecret.equals(first?.jwtSecret ?? Buffer.alloc(0))).toBe(true);
    expect((first?.jwtSecret.length ?? 0) >= 32).toBe(true);
    if (process.platform !== 'win32') expect((await fs.stat(devSecretFile)).mode & 0o777).toBe(0o600);
    const again = await loadAuthConfig({}, { devSecretFile, logger: quiet });
    expect(again.jwtSecret.equals(first?.jwtSecret ?? Buffer.alloc(0))).toBe(true);
  });
});
