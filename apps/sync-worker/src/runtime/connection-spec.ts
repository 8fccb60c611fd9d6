import { AuthenticationProtocol, Mailbox, ProfileSettings } from '@ssync/domain';
import { AuthSpec, ConnectionSpec } from '@ssync/exchange';

/** Opens a sealed secret bound to the record it belongs to (libs/security SecretBox). */
export type OpenSecret = (sealed: string, context: string) => string;

export class ConnectionSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionSetupError';
  }
}

const PROTOCOLS: Record<AuthenticationProtocol, 'auto' | 'negotiate' | 'ntlm' | 'basic'> = {
  AutoDetect: 'auto',
  Negotiate: 'negotiate',
  NTLM: 'ntlm',
  Basic: 'basic',
};

/** `CONTOSO\svc` → domain CONTOSO, user svc; `svc@contoso.com` stays a user principal name. */
function splitUser(userName: string): { userName: string; domain?: string } {
  const i = userName.indexOf('\\');
  return i > 0 ? { domain: userName.slice(0, i), userName: userName.slice(i + 1) } : { userName };
}

export interface ConnectionContext {
  profileId: string;
  profile: ProfileSettings;
  mailbox: Mailbox;
  open: OpenSecret;
  timeoutMs: number;
  /** Used when the profile discovers server locations and no per-domain URL is known. */
  autodiscoverUrl?: string;
}

/**
 * How ssync reaches one mailbox for one direction (P-2…P-8, P-11): where (given or discovered), as whom (profile
 * credentials with impersonation, the mailbox's own credentials, or the service's Windows identity with
 * impersonation), with which protocol, and under which connection limit (per profile when the credentials are the
 * profile's, per mailbox when they are the mailbox's).
 */
export function connectionSpec(ctx: ConnectionContext, direction: 'incoming' | 'outgoing'): ConnectionSpec {
  const { profile, mailbox } = ctx;
  if (!mailbox.emailAddress)
    throw new ConnectionSetupError('EmailAddressEmpty: the mailbox has no email address');
  const outgoingOwn = direction === 'outgoing' && !profile.useSameSettingsForOutgoing;
  const protocol =
    PROTOCOLS[outgoingOwn ? profile.outgoingAuthenticationProtocol : profile.incomingAuthenticationProtocol];
  let auth: AuthSpec;
  let impersonate: { smtpAddress: string } | undefined;
  let limit: { key: string; max: number };
  switch (profile.authenticateUsing) {
    case 'CredentialsSpecifiedInEmailServerProfile': {
      const user = outgoingOwn ? profile.outgoingUserName : profile.userName;
      const sealed = outgoingOwn ? profile.outgoingPassword : profile.password;
      const field = outgoingOwn ? 'outgoingPassword' : 'password';
      if (!user || !sealed)
        throw new ConnectionSetupError('CredentialsMissing: the profile has no credentials');
      auth = {
        kind: protocol,
        ...splitUser(user),
        password: ctx.open(sealed, `profile:${ctx.profileId}:${field}`),
      };
      impersonate = { smtpAddress: mailbox.emailAddress };
      limit = { key: `profile:${ctx.profileId}`, max: profile.maxConcurrentConnections };
      break;
    }
    case 'CredentialsSpecifiedByUserOrQueue': {
      if (!mailbox.credentials)
        throw new ConnectionSetupError('CredentialsMissing: the mailbox has no credentials');
      auth = {
        kind: protocol,
        ...splitUser(mailbox.credentials.userName),
        password: ctx.open(mailbox.credentials.password, `mailbox:${mailbox.mailboxId}:password`),
      };
      limit = { key: `mailbox:${mailbox.mailboxId}`, max: profile.maxConcurrentConnections };
      break;
    }
    case 'WindowsIntegratedAuthentication':
      auth = { kind: 'windows-integrated' };
      impersonate = { smtpAddress: mailbox.emailAddress };
      limit = { key: `profile:${ctx.profileId}`, max: profile.maxConcurrentConnections };
      break;
    case 'WithoutCredentials':
      throw new ConnectionSetupError('NotValidSetting: anonymous authentication is not a valid setting');
  }
  const location = profile.autoDiscoverServerLocation
    ? {
        autodiscover: {
          email: mailbox.emailAddress,
          ...(ctx.autodiscoverUrl ? { url: ctx.autodiscoverUrl } : {}),
        },
      }
    : {
        ewsUrl:
          (direction === 'outgoing' ? profile.outgoingServerLocation : profile.incomingServerLocation) ?? '',
      };
  if ('ewsUrl' in location && !location.ewsUrl)
    throw new ConnectionSetupError('LocationMissing: the profile has no server location');
  return {
    ...location,
    auth,
    ...(impersonate ? { impersonate } : {}),
    mailboxSmtp: mailbox.emailAddress,
    timeoutMs: ctx.timeoutMs,
    limit,
  };
}
