import jwt from 'jsonwebtoken';
import request from 'supertest';
import { TestOidcProvider } from '../support/oidc-provider';
import { eventually, testNamespace } from '../support/env';
import { InProcessStack, startInProcessStack, stopInProcessStack } from '../support/stack';

/**
 * Issue #14 item 3: the API takes bearer tokens from an OpenID Connect provider configured by SSYNC_OIDC_* alone.
 * The provider here serves its discovery document and JWKS on loopback; its groups map to privileges.
 */
describe('OIDC bearer tokens at the API', () => {
  const ns = testNamespace('oidc');
  const DEV_TOKEN = 'dev-token-oidc-int-test';
  let provider: TestOidcProvider;
  let stack: InProcessStack;
  const profiles = (token: string) =>
    request(stack.url).get('/api/v1/email-server-profiles').set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    provider = await TestOidcProvider.start('ssync-api');
    stack = await startInProcessStack(ns, {
      SSYNC_DEV_TOKEN: DEV_TOKEN,
      SSYNC_OIDC_ISSUER: provider.issuer,
      SSYNC_OIDC_AUDIENCE: 'ssync-api',
      SSYNC_OIDC_PRIVILEGES_CLAIM: 'realm_access.roles',
      SSYNC_OIDC_PRIVILEGE_MAP: '{"mail-readers":["MailboxRead"]}',
    });
    await eventually(async () => (await profiles(DEV_TOKEN)).status === 200, 60000, 'API ready');
  });

  afterAll(async () => {
    await stopInProcessStack(ns, stack);
    await provider?.close();
  });

  it('signs a provider token in with the privileges its roles map to', async () => {
    const token = provider.sign(
      { sub: 'alice', realm_access: { roles: ['mail-readers'] } },
      { alg: 'ES256' },
    );
    const res = await profiles(token).expect(200);
    expect(Array.isArray(res.body.items)).toBe(true);
  });

  it('403 for a provider token whose roles map to nothing', async () => {
    const res = await profiles(provider.sign({ sub: 'guest', realm_access: { roles: ['guests'] } })).expect(
      403,
    );
    expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
  });

  it('401 for an HS256 token that claims the provider', async () => {
    const forged = jwt.sign(
      { sub: 'mallory', iss: provider.issuer, aud: 'ssync-api', realm_access: { roles: ['mail-readers'] } },
      'a-secret-the-attacker-chose-that-is-long-enough',
    );
    const res = await profiles(forged).expect(401);
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: `invalid token: algorithm HS256 is not accepted for ${provider.issuer}`,
    });
  });
});
