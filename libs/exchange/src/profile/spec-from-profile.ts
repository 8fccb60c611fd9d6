import type { AuthenticationProtocol, ProfileSettings } from '@ssync/domain/profile/types';
import { ExchangeError } from '../errors/exchange-error';
import { AuthSpec, ConnectionSpec } from '../connection/types';

/** P-8 → wire: AutoDetect asks the server; Negotiate is NTLM (no Kerberos here, see AuthSpec). */
export function authKindFor(protocol: AuthenticationProtocol): 'auto' | 'negotiate' | 'ntlm' | 'basic' {
  switch (protocol) {
    case 'AutoDetect':
      return 'auto';
    case 'Negotiate':
      return 'negotiate';
    case 'NTLM':
      return 'ntlm';
    case 'Basic':
      return 'basic';
  }
}

export type ProfileForConnection = Pick<
  ProfileSettings,
  | 'autoDiscoverServerLocation'
  | 'incomingServerLocation'
  | 'outgoingServerLocation'
  | 'authenticateUsing'
  | 'useSameSettingsForOutgoing'
  | 'incomingAuthenticationProtocol'
  | 'outgoingAuthenticationProtocol'
  | 'maxConcurrentConnections'
>;

export interface SpecFromProfileInput {
  profileId: string;
  profile: ProfileForConnection;
  direction: 'incoming' | 'outgoing';
  mailbox: { id: string; smtpAddress: string };
  /**
   * Plain credentials, opened by the caller (SecretBox.open) and held in memory only: the profile's incoming
   * (or, when it has its own, outgoing) account with "Credentials Specified in Email Server Profile", the
   * mailbox's with "Credentials Specified by a User or Queue"; ignored for Windows Integrated Authentication.
   */
  credentials?: { userName: string; password: string } | null;
  /** Explicit Autodiscover endpoint (the client's own discovery only tries https on the SMTP domain). */
  autodiscoverUrl?: string;
  timeoutMs?: number;
}

/**
 * The one place profile settings become a ConnectionSpec (P-2, P-3, P-4, P-5, P-7, P-8, P-11). Profile
 * credentials and the service identity act for mailboxes by impersonation and share one P-11 budget per
 * profile; a mailbox's own credentials get a budget per mailbox.
 */
export function specFromProfile(input: SpecFromProfileInput): ConnectionSpec {
  const { profile, direction, mailbox } = input;
  const fail = (code: 'credentials' | 'location', message: string): never => {
    throw new ExchangeError({ code, message, rawType: 'config', operation: 'connect' });
  };
  const outgoingOwn = direction === 'outgoing' && !profile.useSameSettingsForOutgoing;
  const protocol = outgoingOwn
    ? profile.outgoingAuthenticationProtocol
    : profile.incomingAuthenticationProtocol;

  let auth: AuthSpec;
  let impersonate: { smtpAddress: string } | undefined;
  let limitKey: string;
  switch (profile.authenticateUsing) {
    case 'WithoutCredentials':
      return fail(
        'credentials',
        'Without Credential (Anonymous) is not a valid setting for Exchange: choose credentials',
      );
    case 'WindowsIntegratedAuthentication':
      auth = { kind: 'windows-integrated' };
      impersonate = { smtpAddress: mailbox.smtpAddress };
      limitKey = `profile:${input.profileId}`;
      break;
    case 'CredentialsSpecifiedInEmailServerProfile':
    case 'CredentialsSpecifiedByUserOrQueue': {
      const c = input.credentials;
      if (!c?.userName || !c.password)
        return fail('credentials', 'the credentials for this mailbox are missing');
      auth = { kind: authKindFor(protocol), userName: c.userName, password: c.password };
      const inProfile = profile.authenticateUsing === 'CredentialsSpecifiedInEmailServerProfile';
      if (inProfile) impersonate = { smtpAddress: mailbox.smtpAddress };
      limitKey = inProfile ? `profile:${input.profileId}` : `mailbox:${mailbox.id}`;
      break;
    }
  }

  const base = {
    auth,
    mailboxSmtp: mailbox.smtpAddress,
    limit: { key: limitKey, max: profile.maxConcurrentConnections },
    ...(impersonate ? { impersonate } : {}),
    ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
  };
  if (profile.autoDiscoverServerLocation)
    return {
      ...base,
      autodiscover: {
        email: mailbox.smtpAddress,
        ...(input.autodiscoverUrl ? { url: input.autodiscoverUrl } : {}),
      },
    };
  const url =
    direction === 'outgoing'
      ? (profile.outgoingServerLocation ?? profile.incomingServerLocation)
      : profile.incomingServerLocation;
  if (!url) return fail('location', `the ${direction} server location is not set and Autodiscover is off`);
  return { ...base, ewsUrl: url };
}
