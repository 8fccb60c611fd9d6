/** Exchange versions the client may announce (`RequestServerVersion`). */
export const EXCHANGE_SERVER_VERSIONS = [
  'Exchange2007_SP1',
  'Exchange2010',
  'Exchange2010_SP1',
  'Exchange2010_SP2',
  'Exchange2013',
  'Exchange2013_SP1',
  'Exchange2016',
] as const;
export type ExchangeServerVersion = (typeof EXCHANGE_SERVER_VERSIONS)[number];

/**
 * How to authenticate. `auto` (profile: AutoDetect) uses what the server offers; `negotiate` is NTLM (SPNEGO
 * needs Kerberos, which a Linux worker without a keytab cannot do; Windows servers accept NTLM inside Negotiate).
 * `windows-integrated` runs as the service's own identity from configuration (ExchangeClientFactory options).
 */
export type AuthSpec =
  | { kind: 'basic' | 'ntlm' | 'negotiate' | 'auto'; userName: string; password: string; domain?: string }
  | { kind: 'windows-integrated' };

export interface ServiceIdentity {
  userName: string;
  password: string;
  domain?: string;
}

/** Where the mailbox's EWS endpoint is: given (P-3/P-5), or found by Autodiscover (P-2). */
export type LocationSpec =
  | { ewsUrl: string; autodiscover?: undefined }
  | { ewsUrl?: undefined; autodiscover: { email: string; url?: string } };

export type ConnectionSpec = LocationSpec & {
  auth: AuthSpec;
  /** ApplicationImpersonation of this mailbox (credentials in the profile). */
  impersonate?: { smtpAddress: string };
  /** The mailbox every operation works on. */
  mailboxSmtp: string;
  /** Per-request timeout (the client has none by default). Default 30 s. */
  timeoutMs?: number;
  /** Default Exchange2013_SP1. */
  serverVersion?: ExchangeServerVersion;
  /**
   * P-11 key and limit: `mailbox:<id>` when credentials are the mailbox's, `profile:<id>` when the profile's.
   * Default: `mailbox:<mailboxSmtp>` with the factory's default limit (10).
   */
  limit?: { key: string; max: number };
};

/** The scheme actually used on the wire. */
export type WireScheme = 'basic' | 'ntlm';
