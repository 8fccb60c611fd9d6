import request from 'supertest';
import { testNamespace } from '../support/env';
import { InProcessStack, startInProcessStack, stopInProcessStack } from '../support/stack';

/**
 * Issue #14: X-Forwarded-* counts only from the proxies TRUST_PROXY names. Here the API trusts 10.9.8.7 alone, so
 * a client on loopback (standing for one that reaches a pod directly) cannot claim HTTPS to enter credentials
 * over plain HTTP (P-6). profiles.int-spec.ts shows the trusted case (TRUST_PROXY=loopback).
 */
describe('trusted proxies by address', () => {
  const ns = testNamespace('trust_proxy');
  const DEV_TOKEN = 'dev-token-trust-proxy-int-test';
  let stack: InProcessStack;
  const http = () => request.agent(stack.url).set('Authorization', `Bearer ${DEV_TOKEN}`);

  beforeAll(async () => {
    stack = await startInProcessStack(ns, {
      SSYNC_DEV_TOKEN: DEV_TOKEN,
      TRUST_PROXY: '10.9.8.7',
      ALLOW_CREDENTIALS_ENTRY_VIA_NON_SECURE_CHANNELS: '0',
    });
  });

  afterAll(async () => {
    await stopInProcessStack(ns, stack);
  });

  it('ignores X-Forwarded-Proto from a peer that is not a trusted proxy', async () => {
    const spoofed = await http()
      .post('/api/v1/email-server-profiles')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-For', '10.9.8.7')
      .send({
        name: 'Spoofed',
        autoDiscoverServerLocation: false,
        incomingServerLocation: 'https://mail.contoso.com/EWS/Exchange.asmx',
        outgoingServerLocation: 'https://mail.contoso.com/EWS/Exchange.asmx',
        authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
        userName: 'CONTOSO\\svc',
        password: 'pw-spoofed',
      })
      .expect(400);
    expect(spoofed.body.violations).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'password', rule: 'secureChannelRequired' })]),
    );
    const list = await http().get('/api/v1/email-server-profiles').expect(200);
    expect(JSON.stringify(list.body)).not.toContain('Spoofed');
  });
});
