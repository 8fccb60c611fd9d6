import { SealedSecret } from '../shared/decider';

export const AUTHENTICATE_USING = [
  'CredentialsSpecifiedByUserOrQueue',
  'CredentialsSpecifiedInEmailServerProfile',
  'WindowsIntegratedAuthentication',
  'WithoutCredentials',
] as const;
export type AuthenticateUsing = (typeof AUTHENTICATE_USING)[number];

export const AUTHENTICATION_PROTOCOLS = ['AutoDetect', 'Negotiate', 'NTLM', 'Basic'] as const;
export type AuthenticationProtocol = (typeof AUTHENTICATION_PROTOCOLS)[number];

/** The settings of an Exchange email server profile (SPEC P-1…P-12). Secrets are sealed. */
export interface ProfileSettings {
  name: string;
  description: string | null;
  autoDiscoverServerLocation: boolean;
  incomingServerLocation: string | null;
  outgoingServerLocation: string | null;
  authenticateUsing: AuthenticateUsing;
  userName: string | null;
  password: SealedSecret | null;
  useSameSettingsForOutgoing: boolean;
  /** Outgoing credentials, only when profile credentials are used and outgoing has its own settings (P-7). */
  outgoingUserName: string | null;
  outgoingPassword: SealedSecret | null;
  incomingAuthenticationProtocol: AuthenticationProtocol;
  outgoingAuthenticationProtocol: AuthenticationProtocol;
  processEmailFrom: string | null;
  minimumPollingIntervalMinutes: number;
  maxConcurrentConnections: number;
  moveFailedEmailsToUndeliverableFolder: boolean;
  ownerId: string;
}

export type ProfileSettingsPatch = Partial<ProfileSettings>;

/** The sealed fields of a profile; the API seals each with the context `profile:<id>:<field>`. */
export const PROFILE_SECRET_FIELDS = ['password', 'outgoingPassword'] as const;
export type ProfileSecretField = (typeof PROFILE_SECRET_FIELDS)[number];

export const PROFILE_DEFAULTS = {
  description: null,
  autoDiscoverServerLocation: false,
  incomingServerLocation: null,
  outgoingServerLocation: null,
  userName: null,
  password: null,
  useSameSettingsForOutgoing: true,
  outgoingUserName: null,
  outgoingPassword: null,
  incomingAuthenticationProtocol: 'AutoDetect',
  outgoingAuthenticationProtocol: 'AutoDetect',
  processEmailFrom: null,
  minimumPollingIntervalMinutes: 1,
  maxConcurrentConnections: 10,
  moveFailedEmailsToUndeliverableFolder: false,
} as const satisfies Partial<ProfileSettings>;

/** Every settable field; anything else in input is an unknown field. */
export const PROFILE_FIELDS = [
  'name',
  'description',
  'autoDiscoverServerLocation',
  'incomingServerLocation',
  'outgoingServerLocation',
  'authenticateUsing',
  'userName',
  'password',
  'useSameSettingsForOutgoing',
  'outgoingUserName',
  'outgoingPassword',
  'incomingAuthenticationProtocol',
  'outgoingAuthenticationProtocol',
  'processEmailFrom',
  'minimumPollingIntervalMinutes',
  'maxConcurrentConnections',
  'moveFailedEmailsToUndeliverableFolder',
  'ownerId',
] as const satisfies readonly (keyof ProfileSettings)[];
