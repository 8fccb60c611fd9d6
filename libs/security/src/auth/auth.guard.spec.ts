import { randomBytes } from 'node:crypto';
import { Controller, Get, INestApplication, Module, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { TestOidcProvider } from '@ssync/testing/oidc-provider';
import { provideGlobalAuthGuard } from './auth.guard';
import { AuthModule } from './auth.module';
import { CurrentPrincipal, Public, RequirePrivileges } from './decorators';
import { Principal, Privilege } from './privileges';
import { TokenService } from './token.service';

const jwtSecret = randomBytes(32);

@Controller()
class HealthController {
  @Public()
  @Get('health')
  health() {
    return { ok: true };
  }
}

@Controller('mailboxes')
@RequirePrivileges(Privilege.MailboxRead)
class MailboxController {
  @Get()
  list(@CurrentPrincipal() principal: Principal) {
    return { user: principal.userId, privileges: [...principal.privileges] };
  }

  @Get('approve')
  @RequirePrivileges(Privilege.ApproveEmail)
  approve() {
    return { approved: true };
  }

  @Get('settings')
  @RequirePrivileges(Privilege.EmailSettingsAdmin, Privilege.ProfileAdmin)
  settings() {
    return { ok: true };
  }
}

@Module({
  imports: [AuthModule.forRoot({ config: { jwtSecret, devToken: 'dev-token-for-scripts' } })],
  controllers: [HealthController, MailboxController],
  providers: [provideGlobalAuthGuard()],
})
class TestAppModule {}

describe('AuthGuard (HTTP)', () => {
  let app: INestApplication;
  let tokens: TokenService;
  const bearer = (privileges: Privilege[]) =>
    `Bearer ${tokens.issueToken({ userId: 'alice', name: 'Alice', privileges, ttlSeconds: 60 })}`;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [TestAppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    tokens = app.get(TokenService);
  });
  afterAll(async () => {
    await app.close();
  });

  it('401 without a token, with WWW-Authenticate: Bearer', async () => {
    const res = await request(app.getHttpServer()).get('/mailboxes').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'missing bearer token' });
  });

  it.each([
    ['a bad token', 'Bearer not.a.jwt'],
    ['another scheme', 'Basic YWxpY2U6cHc='],
  ])('401 with %s', async (_case, authorization) => {
    const res = await request(app.getHttpServer())
      .get('/mailboxes')
      .set('Authorization', authorization)
      .expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it('401 for an expired token', async () => {
    const expired = new TokenService({
      jwtSecret,
      now: () => Date.now() - 3600_000,
    }).issueToken({ userId: 'alice', name: 'Alice', privileges: [Privilege.MailboxRead], ttlSeconds: 60 });
    const res = await request(app.getHttpServer())
      .get('/mailboxes')
      .set('Authorization', `Bearer ${expired}`);
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('token expired');
  });

  it('403 naming the missing privilege', async () => {
    const res = await request(app.getHttpServer())
      .get('/mailboxes/approve')
      .set('Authorization', bearer([Privilege.MailboxRead]))
      .expect(403);
    expect(res.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'missing privilege ApproveEmail',
      missingPrivileges: ['ApproveEmail'],
    });
  });

  it('403 lists every missing privilege, class-level ones included', async () => {
    const res = await request(app.getHttpServer())
      .get('/mailboxes/settings')
      .set('Authorization', bearer([Privilege.ProfileAdmin]))
      .expect(403);
    expect(res.body.missingPrivileges).toEqual(['MailboxRead', 'EmailSettingsAdmin']);
    expect(res.body.message).toBe('missing privileges MailboxRead, EmailSettingsAdmin');
  });

  it('200 with the privileges, and the principal reaches the handler', async () => {
    await request(app.getHttpServer())
      .get('/mailboxes/approve')
      .set('Authorization', bearer([Privilege.MailboxRead, Privilege.ApproveEmail]))
      .expect(200, { approved: true });
    const res = await request(app.getHttpServer())
      .get('/mailboxes')
      .set('Authorization', bearer([Privilege.MailboxRead]))
      .expect(200);
    expect(res.body).toEqual({ user: 'alice', privileges: ['MailboxRead'] });
  });

  it('SystemAdmin passes every privilege check', async () => {
    await request(app.getHttpServer())
      .get('/mailboxes/settings')
      .set('Authorization', bearer([Privilege.SystemAdmin]))
      .expect(200);
  });

  it('accepts exactly SSYNC_DEV_TOKEN as the dev admin', async () => {
    const res = await request(app.getHttpServer())
      .get('/mailboxes')
      .set('Authorization', 'Bearer dev-token-for-scripts')
      .expect(200);
    expect(res.body).toEqual({ user: 'dev-admin', privileges: ['SystemAdmin'] });
    await request(app.getHttpServer())
      .get('/mailboxes')
      .set('Authorization', 'Bearer dev-token-for-script')
      .expect(401);
  });

  it('@Public skips authentication', async () => {
    await request(app.getHttpServer()).get('/health').expect(200, { ok: true });
  });
});

describe('AuthGuard (HTTP) with an OpenID Connect provider', () => {
  let provider: TestOidcProvider;
  let app: INestApplication;

  async function boot(imports: ModuleMetadata['imports']): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports,
      controllers: [HealthController, MailboxController],
      providers: [provideGlobalAuthGuard()],
    }).compile();
    const booted = moduleRef.createNestApplication({ logger: false });
    await booted.init();
    return booted;
  }
  const get = (path: string, token: string) =>
    request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    provider = await TestOidcProvider.start('ssync-api');
    // From the environment, as apps/api boots it.
    app = await boot([
      AuthModule.forRoot({
        env: {
          SSYNC_JWT_SECRET: jwtSecret.toString('base64'),
          SSYNC_OIDC_ISSUER: provider.issuer,
          SSYNC_OIDC_AUDIENCE: 'ssync-api',
          SSYNC_OIDC_PRIVILEGES_CLAIM: 'groups',
          SSYNC_OIDC_PRIVILEGE_MAP:
            '{"mail-readers":["MailboxRead"],"approvers":["MailboxRead","ApproveEmail"]}',
        },
      }),
    ]);
  });
  afterAll(async () => {
    await app.close();
    await provider.close();
  });

  it('an OIDC token from a test JWKS signs in with mapped privileges (RS256 and ES256)', async () => {
    const token = provider.sign({ sub: 'alice-sub', name: 'Alice', groups: ['approvers', 'staff'] });
    await get('/mailboxes/approve', token).expect(200, { approved: true });
    const es256 = provider.sign({ sub: 'bob-sub', groups: ['mail-readers'] }, { alg: 'ES256' });
    await get('/mailboxes', es256).expect(200, { user: 'bob-sub', privileges: ['MailboxRead'] });
  });

  it('403 naming the missing privilege for a caller whose groups map to nothing', async () => {
    const res = await get('/mailboxes', provider.sign({ sub: 'guest', groups: ['guests'] })).expect(403);
    expect(res.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'missing privilege MailboxRead',
      missingPrivileges: ['MailboxRead'],
    });
  });

  it.each<[string, () => string, string]>([
    [
      'another audience',
      () => provider.sign({ sub: 'alice-sub', groups: ['approvers'], aud: 'another-client' }),
      'invalid token: jwt audience invalid. expected: ssync-api',
    ],
    [
      'an expired token',
      () => provider.sign({ sub: 'alice-sub' }, { nowSeconds: Math.floor(Date.now() / 1000) - 3600 }),
      'token expired',
    ],
    [
      'an HS256 token claiming the provider',
      () =>
        jwt.sign(
          { sub: 'mallory', groups: ['approvers'], iss: provider.issuer, aud: 'ssync-api' },
          jwtSecret,
        ),
      'invalid token: algorithm HS256 is not accepted for ISSUER',
    ],
  ])('401 with the usual body for %s', async (_case, token, message) => {
    const res = await get('/mailboxes', token()).expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: message.replace('ISSUER', provider.issuer),
    });
  });

  it('still takes the CLI HS256 tokens', async () => {
    const cli = app
      .get(TokenService)
      .issueToken({ userId: 'ops', name: 'Ops', privileges: [Privilege.MailboxRead] });
    await get('/mailboxes', cli).expect(200, { user: 'ops', privileges: ['MailboxRead'] });
  });

  it("503 with Retry-After, not 401, when the provider's keys cannot be fetched", async () => {
    const unreachable = await boot([
      AuthModule.forRoot({
        config: {
          jwtSecret,
          oidc: {
            issuer: provider.issuer,
            audiences: ['ssync-api'],
            jwksUri: new URL('http://127.0.0.1:9/certs'),
            privilegesClaim: 'groups',
            privilegeMap: new Map([
              ['approvers', [{ privilege: Privilege.ApproveEmail, depth: 'Organization' }]],
            ]),
            userClaim: 'sub',
            requireHttps: false,
          },
        },
      }),
    ]);
    try {
      const res = await request(unreachable.getHttpServer())
        .get('/mailboxes')
        .set('Authorization', `Bearer ${provider.sign({ sub: 'alice-sub' })}`)
        .expect(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toMatchObject({
        statusCode: 503,
        error: 'Service Unavailable',
        message: "the identity provider's signing keys cannot be fetched; retry later",
        retryAfterSeconds: 5,
      });
    } finally {
      await unreachable.close();
    }
  });
});
