import { randomBytes } from 'node:crypto';
import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
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
