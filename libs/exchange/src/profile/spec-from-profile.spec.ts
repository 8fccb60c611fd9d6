import { ExchangeError } from '../errors/exchange-error';
import { authKindFor, ProfileForConnection, specFromProfile } from './spec-from-profile';

const profile: ProfileForConnection = {
  autoDiscoverServerLocation: false,
  incomingServerLocation: 'https://in.contoso.com/EWS/Exchange.asmx',
  outgoingServerLocation: 'https://out.contoso.com/EWS/Exchange.asmx',
  authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
  useSameSettingsForOutgoing: true,
  incomingAuthenticationProtocol: 'NTLM',
  outgoingAuthenticationProtocol: 'Basic',
  maxConcurrentConnections: 7,
};
const mailbox = { id: 'mbx-1', smtpAddress: 'alice@contoso.com' };
const credentials = { userName: 'CONTOSO\\svc', password: 'pw' };

describe('specFromProfile', () => {
  it('profile credentials: impersonation, budget per profile, incoming location and protocol', () => {
    expect(
      specFromProfile({ profileId: 'p1', profile, direction: 'incoming', mailbox, credentials }),
    ).toEqual({
      ewsUrl: 'https://in.contoso.com/EWS/Exchange.asmx',
      auth: { kind: 'ntlm', userName: 'CONTOSO\\svc', password: 'pw' },
      impersonate: { smtpAddress: 'alice@contoso.com' },
      mailboxSmtp: 'alice@contoso.com',
      limit: { key: 'profile:p1', max: 7 },
    });
  });

  it('outgoing: own location always; own protocol only when not "same settings" (P-7)', () => {
    const same = specFromProfile({ profileId: 'p1', profile, direction: 'outgoing', mailbox, credentials });
    expect(same.ewsUrl).toBe('https://out.contoso.com/EWS/Exchange.asmx');
    expect(same.auth).toMatchObject({ kind: 'ntlm' });
    const own = specFromProfile({
      profileId: 'p1',
      profile: { ...profile, useSameSettingsForOutgoing: false },
      direction: 'outgoing',
      mailbox,
      credentials,
    });
    expect(own.auth).toMatchObject({ kind: 'basic' });
  });

  it('mailbox credentials: no impersonation, budget per mailbox', () => {
    const s = specFromProfile({
      profileId: 'p1',
      profile: { ...profile, authenticateUsing: 'CredentialsSpecifiedByUserOrQueue' },
      direction: 'incoming',
      mailbox,
      credentials: { userName: 'alice', password: 'x' },
    });
    expect(s.impersonate).toBeUndefined();
    expect(s.limit).toEqual({ key: 'mailbox:mbx-1', max: 7 });
  });

  it('Windows Integrated: service identity, impersonation; Autodiscover when on (P-2)', () => {
    const s = specFromProfile({
      profileId: 'p1',
      profile: {
        ...profile,
        authenticateUsing: 'WindowsIntegratedAuthentication',
        autoDiscoverServerLocation: true,
      },
      direction: 'incoming',
      mailbox,
      autodiscoverUrl: 'https://autodiscover.contoso.com/autodiscover/autodiscover.svc',
    });
    expect(s).toMatchObject({
      auth: { kind: 'windows-integrated' },
      impersonate: { smtpAddress: 'alice@contoso.com' },
      autodiscover: {
        email: 'alice@contoso.com',
        url: 'https://autodiscover.contoso.com/autodiscover/autodiscover.svc',
      },
    });
    expect(s.ewsUrl).toBeUndefined();
  });

  it('refuses anonymous (P-4), missing credentials and missing locations with codes', () => {
    const codeOf = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return (e as ExchangeError).code;
      }
      return 'none';
    };
    expect(
      codeOf(() =>
        specFromProfile({
          profileId: 'p',
          profile: { ...profile, authenticateUsing: 'WithoutCredentials' },
          direction: 'incoming',
          mailbox,
        }),
      ),
    ).toBe('credentials');
    expect(
      codeOf(() =>
        specFromProfile({ profileId: 'p', profile, direction: 'incoming', mailbox, credentials: null }),
      ),
    ).toBe('credentials');
    expect(
      codeOf(() =>
        specFromProfile({
          profileId: 'p',
          profile: { ...profile, incomingServerLocation: null },
          direction: 'incoming',
          mailbox,
          credentials,
        }),
      ),
    ).toBe('location');
  });

  it('authKindFor maps every P-8 protocol', () => {
    expect((['AutoDetect', 'Negotiate', 'NTLM', 'Basic'] as const).map(authKindFor)).toEqual([
      'auto',
      'negotiate',
      'ntlm',
      'basic',
    ]);
  });
});
