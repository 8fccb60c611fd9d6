import { randomBytes } from 'node:crypto';
import { AuthConfigError, loadAuthConfig } from './auth-config';
import { loadOidcConfig } from './oidc-config';
import { Privilege } from './privileges';

const keycloak = {
  SSYNC_OIDC_ISSUER: 'https://sso.example.org/realms/ssync',
  SSYNC_OIDC_AUDIENCE: 'ssync-api',
  SSYNC_OIDC_PRIVILEGES_CLAIM: 'realm_access.roles',
  SSYNC_OIDC_PRIVILEGE_MAP: '{"ssync-admins":["SystemAdmin"],"mail-readers":["MailboxRead"]}',
};

const refused = (env: NodeJS.ProcessEnv, message: RegExp) => {
  expect(() => loadOidcConfig(env)).toThrow(AuthConfigError);
  expect(() => loadOidcConfig(env)).toThrow(message);
};

const org = (privilege: Privilege) => ({ privilege, depth: 'Organization' as const });

describe('loadOidcConfig', () => {
  it('is off without SSYNC_OIDC_ISSUER', () => {
    expect(loadOidcConfig({})).toBeUndefined();
    expect(loadOidcConfig({ SSYNC_OIDC_ISSUER: ' ' })).toBeUndefined();
  });

  it('reads the provider; by default sub is the user, roles the claim, and the keys are discovered', () => {
    expect(loadOidcConfig({ ...keycloak, SSYNC_OIDC_PRIVILEGES_CLAIM: undefined })).toEqual({
      issuer: 'https://sso.example.org/realms/ssync',
      audiences: ['ssync-api'],
      privilegesClaim: 'roles',
      privilegeMap: new Map([
        ['ssync-admins', [org(Privilege.SystemAdmin)]],
        ['mail-readers', [org(Privilege.MailboxRead)]],
      ]),
      userClaim: 'sub',
      requireHttps: false,
    });
  });

  it('takes several audiences, an explicit JWKS URI, another user claim and a lone privilege name', () => {
    const config = loadOidcConfig({
      SSYNC_OIDC_ISSUER: 'https://login.microsoftonline.com/tenant-id/v2.0',
      SSYNC_OIDC_AUDIENCE: 'api://ssync, 00000000-aaaa-bbbb-cccc-000000000000',
      SSYNC_OIDC_JWKS_URI: 'https://login.microsoftonline.com/tenant-id/discovery/v2.0/keys',
      SSYNC_OIDC_PRIVILEGES_CLAIM: 'groups',
      SSYNC_OIDC_PRIVILEGE_MAP: '{"6f1c-group-id":"SystemAdmin"}',
      SSYNC_OIDC_USER_CLAIM: 'oid',
    });
    expect(config).toMatchObject({
      audiences: ['api://ssync', '00000000-aaaa-bbbb-cccc-000000000000'],
      jwksUri: new URL('https://login.microsoftonline.com/tenant-id/discovery/v2.0/keys'),
      privilegesClaim: 'groups',
      userClaim: 'oid',
    });
    expect(config?.privilegeMap.get('6f1c-group-id')).toEqual([org(Privilege.SystemAdmin)]);
  });

  it('reads a user depth as a token claim names it, and refuses it where it does not apply', () => {
    const config = loadOidcConfig({
      ...keycloak,
      SSYNC_OIDC_PRIVILEGE_MAP: '{"staff":["MailboxRead:User"]}',
    });
    expect(config?.privilegeMap.get('staff')).toEqual([{ privilege: Privilege.MailboxRead, depth: 'User' }]);
    refused(
      { ...keycloak, SSYNC_OIDC_PRIVILEGE_MAP: '{"staff":["ApproveEmail:User"]}' },
      /^SSYNC_OIDC_PRIVILEGE_MAP names unknown privilege\(s\) \(staff: "ApproveEmail:User"\)/,
    );
  });

  it('names the variable when the map names an unknown privilege', () => {
    refused(
      { ...keycloak, SSYNC_OIDC_PRIVILEGE_MAP: '{"ssync-admins":["SuperUser"],"readers":["MailboxRead"]}' },
      /^SSYNC_OIDC_PRIVILEGE_MAP names unknown privilege\(s\) \(ssync-admins: "SuperUser"\); valid: MailboxRead,/,
    );
  });

  it.each([
    ['not JSON', '{ssync-admins: SystemAdmin}', /^SSYNC_OIDC_PRIVILEGE_MAP is not JSON/],
    ['an array', '["SystemAdmin"]', /^SSYNC_OIDC_PRIVILEGE_MAP must be a JSON object/],
    ['empty', '{}', /^SSYNC_OIDC_PRIVILEGE_MAP maps no role/],
    ['missing', undefined, /^SSYNC_OIDC_PRIVILEGE_MAP is required/],
  ])('refuses a privilege map that is %s', (_case, map, message) => {
    refused({ ...keycloak, SSYNC_OIDC_PRIVILEGE_MAP: map }, message);
  });

  it('requires an audience: without it a token issued to any other client would do', () => {
    refused({ ...keycloak, SSYNC_OIDC_AUDIENCE: ' , ' }, /^SSYNC_OIDC_AUDIENCE is required/);
  });

  it('refuses OIDC variables without an issuer', () => {
    refused(
      { ...keycloak, SSYNC_OIDC_ISSUER: undefined },
      /^SSYNC_OIDC_AUDIENCE, SSYNC_OIDC_PRIVILEGES_CLAIM, SSYNC_OIDC_PRIVILEGE_MAP set without SSYNC_OIDC_ISSUER/,
    );
  });

  it.each([
    ['SSYNC_OIDC_ISSUER', { SSYNC_OIDC_ISSUER: 'ssync' }, /^SSYNC_OIDC_ISSUER must be an absolute URL/],
    [
      'SSYNC_OIDC_JWKS_URI',
      { SSYNC_OIDC_JWKS_URI: 'file:///etc/keys' },
      /^SSYNC_OIDC_JWKS_URI must be an http\(s\) URL/,
    ],
    [
      'SSYNC_OIDC_PRIVILEGES_CLAIM',
      { SSYNC_OIDC_PRIVILEGES_CLAIM: 'realm_access..roles' },
      /^SSYNC_OIDC_PRIVILEGES_CLAIM must be/,
    ],
  ])('refuses a malformed %s', (_name, overrides, message) => {
    refused({ ...keycloak, ...overrides }, message);
  });

  describe('with NODE_ENV=production', () => {
    const production = { ...keycloak, NODE_ENV: 'production' };

    it('requires an https JWKS URI, and an https issuer when the keys are discovered', () => {
      refused(
        { ...production, SSYNC_OIDC_JWKS_URI: 'http://sso.example.org/certs' },
        /^SSYNC_OIDC_JWKS_URI must be an https URL with NODE_ENV=production/,
      );
      refused(
        { ...production, SSYNC_OIDC_ISSUER: 'http://sso.example.org/realms/ssync' },
        /^SSYNC_OIDC_ISSUER must be an https URL with NODE_ENV=production/,
      );
      expect(loadOidcConfig(production)).toMatchObject({ requireHttps: true });
    });

    it('takes an http issuer when an https JWKS URI is given (the issuer is then only a name)', () => {
      const config = loadOidcConfig({
        ...production,
        SSYNC_OIDC_ISSUER: 'http://sso.internal/realms/ssync',
        SSYNC_OIDC_JWKS_URI: 'https://sso.internal/realms/ssync/protocol/openid-connect/certs',
      });
      expect(config?.issuer).toBe('http://sso.internal/realms/ssync');
    });
  });

  it('is part of loadAuthConfig, so a bad map stops the process at boot', async () => {
    const env = { SSYNC_JWT_SECRET: randomBytes(32).toString('base64'), ...keycloak };
    await expect(loadAuthConfig(env)).resolves.toMatchObject({
      oidc: { issuer: keycloak.SSYNC_OIDC_ISSUER },
    });
    await expect(loadAuthConfig({ ...env, SSYNC_OIDC_PRIVILEGE_MAP: '{"x":["Nope"]}' })).rejects.toThrow(
      /SSYNC_OIDC_PRIVILEGE_MAP names unknown privilege/,
    );
  });
});
