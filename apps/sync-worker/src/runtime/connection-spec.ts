import { Mailbox, ProfileSettings } from '@ssync/domain';
import { ConnectionSpec, specFromProfile } from '@ssync/exchange';
import { credentialSealContext } from '@ssync/security';

/** Opens a sealed secret bound to the record it belongs to (libs/security SecretBox). */
export type OpenSecret = (sealed: string, context: string) => string;

/** The mailbox cannot be reached as configured (no address, no credentials): a permanent test/poll failure. */
export class ConnectionSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionSetupError';
  }
}

export interface ConnectionContext {
  profileId: string;
  profile: ProfileSettings;
  mailbox: Mailbox;
  open: OpenSecret;
  timeoutMs: number;
  /** Used when the profile discovers server locations. */
  autodiscoverUrl?: string;
}

/**
 * A secret that cannot be opened (sealed with a key this keyring lacks, or tampered with) fails as configured, not
 * as an Exchange outage: retrying would not bring the key back (docs/adr/0019).
 */
function opened(ctx: ConnectionContext, sealed: string, context: string): string {
  try {
    return ctx.open(sealed, context);
  } catch (error) {
    throw new ConnectionSetupError(
      `CredentialsUnreadable: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The plain credentials for one direction, opened from their sealed form only for the call (P-5). */
function credentialsFor(
  ctx: ConnectionContext,
  direction: 'incoming' | 'outgoing',
): { userName: string; password: string } | null {
  const { profile, mailbox } = ctx;
  if (profile.authenticateUsing === 'CredentialsSpecifiedInEmailServerProfile') {
    const own = direction === 'outgoing' && !profile.useSameSettingsForOutgoing;
    const user = own ? profile.outgoingUserName : profile.userName;
    const sealed = own ? profile.outgoingPassword : profile.password;
    if (!user || !sealed) return null;
    return {
      userName: user,
      password: opened(
        ctx,
        sealed,
        credentialSealContext('profile', ctx.profileId, own ? 'outgoingPassword' : 'password'),
      ),
    };
  }
  if (profile.authenticateUsing === 'CredentialsSpecifiedByUserOrQueue') {
    if (!mailbox.credentials) return null;
    return {
      userName: mailbox.credentials.userName,
      password: opened(
        ctx,
        mailbox.credentials.password,
        credentialSealContext('mailbox', mailbox.mailboxId, 'password'),
      ),
    };
  }
  return null;
}

/**
 * How ssync reaches one mailbox for one direction: the stored settings and sealed secrets, opened here, turned into
 * a ConnectionSpec by libs/exchange's `specFromProfile` (P-2…P-8, P-11). `DOMAIN\user` names are split for NTLM.
 */
export function connectionSpec(ctx: ConnectionContext, direction: 'incoming' | 'outgoing'): ConnectionSpec {
  const { mailbox } = ctx;
  if (!mailbox.emailAddress)
    throw new ConnectionSetupError('EmailAddressEmpty: the mailbox has no email address');
  const spec = specFromProfile({
    profileId: ctx.profileId,
    profile: ctx.profile,
    direction,
    mailbox: { id: mailbox.mailboxId, smtpAddress: mailbox.emailAddress },
    credentials: credentialsFor(ctx, direction),
    timeoutMs: ctx.timeoutMs,
    ...(ctx.autodiscoverUrl ? { autodiscoverUrl: ctx.autodiscoverUrl } : {}),
  });
  if (spec.auth.kind !== 'windows-integrated' && spec.auth.domain === undefined) {
    const i = spec.auth.userName.indexOf('\\');
    if (i > 0)
      spec.auth = {
        ...spec.auth,
        domain: spec.auth.userName.slice(0, i),
        userName: spec.auth.userName.slice(i + 1),
      };
  }
  return spec;
}
