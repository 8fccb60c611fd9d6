import type { Profile, Schemas } from '../api/client';

type AuthenticateUsing = Schemas['AuthenticateUsing'];
type AuthenticationProtocol = Schemas['AuthenticationProtocol'];
type CreateBody = Schemas['CreateProfileDto'];
type UpdateBody = Schemas['UpdateProfileDto'];

/** The profile form as typed: text as text, so a half-typed number or date stays on screen until the API judges it. */
export interface ProfileForm {
  name: string;
  description: string;
  ownerId: string;
  autoDiscoverServerLocation: boolean;
  incomingServerLocation: string;
  outgoingServerLocation: string;
  authenticateUsing: AuthenticateUsing;
  userName: string;
  /** Write-only: empty keeps the stored password. */
  password: string;
  useSameSettingsForOutgoing: boolean;
  outgoingUserName: string;
  outgoingPassword: string;
  incomingAuthenticationProtocol: AuthenticationProtocol;
  outgoingAuthenticationProtocol: AuthenticationProtocol;
  /** A `datetime-local` value, in the browser's time zone; empty for none. */
  processEmailFrom: string;
  minimumPollingIntervalMinutes: string;
  maxConcurrentConnections: string;
  moveFailedEmailsToUndeliverableFolder: boolean;
}

/** The seed's names of the fields (and the API's, as its violations name them). */
export const PROFILE_LABELS: Record<keyof ProfileForm, string> = {
  name: 'Name',
  description: 'Description',
  ownerId: 'Owner',
  autoDiscoverServerLocation: 'Auto Discover Server Location',
  incomingServerLocation: 'Incoming Server Location',
  outgoingServerLocation: 'Outgoing Server Location',
  authenticateUsing: 'Authenticate Using',
  userName: 'User Name',
  password: 'Password',
  useSameSettingsForOutgoing: 'Use Same Settings for Outgoing',
  outgoingUserName: 'Outgoing User Name',
  outgoingPassword: 'Outgoing Password',
  incomingAuthenticationProtocol: 'Incoming Authentication Protocol',
  outgoingAuthenticationProtocol: 'Outgoing Authentication Protocol',
  processEmailFrom: 'Process Email From',
  minimumPollingIntervalMinutes: 'Minimum Polling Intervals in Minutes',
  maxConcurrentConnections: 'Maximum Concurrent Connections',
  moveFailedEmailsToUndeliverableFolder: 'Move Failed Emails to Undeliverable Folder',
};

export const AUTHENTICATE_USING_LABELS: Record<AuthenticateUsing, string> = {
  CredentialsSpecifiedByUserOrQueue: 'Credentials Specified by a User or Queue',
  CredentialsSpecifiedInEmailServerProfile: 'Credentials Specified in Email Server Profile',
  WindowsIntegratedAuthentication: 'Windows Integrated Authentication',
  // The seed lists it as "not a valid setting"; offered as there, the API refuses it with its reason.
  WithoutCredentials: 'Without Credential (Anonymous)',
};

export const PROTOCOL_LABELS: Record<AuthenticationProtocol, string> = {
  AutoDetect: 'Auto Detect',
  Negotiate: 'Negotiate',
  NTLM: 'NTLM',
  Basic: 'Basic',
};

/** A new profile: the API's defaults (a spec holds them to the document's), owner left to the API (the caller). */
export const NEW_PROFILE: ProfileForm = {
  name: '',
  description: '',
  ownerId: '',
  autoDiscoverServerLocation: false,
  incomingServerLocation: '',
  outgoingServerLocation: '',
  authenticateUsing: 'CredentialsSpecifiedByUserOrQueue',
  userName: '',
  password: '',
  useSameSettingsForOutgoing: true,
  outgoingUserName: '',
  outgoingPassword: '',
  incomingAuthenticationProtocol: 'AutoDetect',
  outgoingAuthenticationProtocol: 'AutoDetect',
  processEmailFrom: '',
  minimumPollingIntervalMinutes: '1',
  maxConcurrentConnections: '10',
  moveFailedEmailsToUndeliverableFolder: false,
};

/** Which fields the seed shows for these settings. */
export function shownFields(f: ProfileForm) {
  const profileCredentials = f.authenticateUsing === 'CredentialsSpecifiedInEmailServerProfile';
  return {
    /** P-2/P-3: entered by hand only without Autodiscover. */
    serverLocations: !f.autoDiscoverServerLocation,
    /** P-5: only with credentials specified in the profile. */
    credentials: profileCredentials,
    /** P-7: outgoing has credentials of its own only when it does not use the incoming settings. */
    outgoingCredentials: profileCredentials && !f.useSameSettingsForOutgoing,
    outgoingProtocol: !f.useSameSettingsForOutgoing,
  };
}

/** The fields on screen for these settings. */
export function visibleFields(f: ProfileForm): Set<keyof ProfileForm> {
  const shown = shownFields(f);
  const hidden = new Set<keyof ProfileForm>([
    ...(shown.serverLocations ? [] : (['incomingServerLocation', 'outgoingServerLocation'] as const)),
    ...(shown.credentials ? [] : (['userName', 'password'] as const)),
    ...(shown.outgoingCredentials ? [] : (['outgoingUserName', 'outgoingPassword'] as const)),
    ...(shown.outgoingProtocol ? [] : (['outgoingAuthenticationProtocol'] as const)),
  ]);
  return new Set((Object.keys(PROFILE_LABELS) as (keyof ProfileForm)[]).filter((k) => !hidden.has(k)));
}

/**
 * Use Same Settings for Outgoing. Turned off, outgoing starts as a copy of incoming (what it used until now); turned
 * on, outgoing follows incoming again.
 */
export function withSameSettingsForOutgoing(f: ProfileForm, same: boolean): ProfileForm {
  if (same)
    return {
      ...f,
      useSameSettingsForOutgoing: true,
      outgoingAuthenticationProtocol: f.incomingAuthenticationProtocol,
    };
  return {
    ...f,
    useSameSettingsForOutgoing: false,
    outgoingUserName: f.outgoingUserName || f.userName,
    outgoingPassword: f.outgoingPassword || f.password,
    outgoingAuthenticationProtocol: f.incomingAuthenticationProtocol,
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An instant as a `datetime-local` value in the browser's time zone. */
export function localDateTime(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value as an instant; what does not parse goes to the API as typed, which says why. */
export function isoInstant(local: string): string | null {
  if (local.trim() === '') return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

export function formFromProfile(p: Profile): ProfileForm {
  return {
    name: p.name,
    description: p.description ?? '',
    ownerId: p.ownerId,
    autoDiscoverServerLocation: p.autoDiscoverServerLocation,
    incomingServerLocation: p.incomingServerLocation ?? '',
    outgoingServerLocation: p.outgoingServerLocation ?? '',
    authenticateUsing: p.authenticateUsing,
    userName: p.userName ?? '',
    password: '',
    useSameSettingsForOutgoing: p.useSameSettingsForOutgoing,
    outgoingUserName: p.outgoingUserName ?? '',
    outgoingPassword: '',
    incomingAuthenticationProtocol: p.incomingAuthenticationProtocol,
    outgoingAuthenticationProtocol: p.outgoingAuthenticationProtocol,
    processEmailFrom: localDateTime(p.processEmailFrom),
    minimumPollingIntervalMinutes: String(p.minimumPollingIntervalMinutes),
    maxConcurrentConnections: String(p.maxConcurrentConnections),
    moveFailedEmailsToUndeliverableFolder: p.moveFailedEmailsToUndeliverableFolder,
  };
}

const textOrNull = (v: string) => (v.trim() === '' ? null : v.trim());
/** Empty: not sent (the API's default, or no change). A number input holds nothing else but numbers. */
const numberIfGiven = <K extends string>(key: K, v: string) =>
  v.trim() === '' ? {} : ({ [key]: Number(v) } as Record<K, number>);

/**
 * What the form asks the API to create. Fields the seed hides for these settings are not sent: the API clears
 * them. Passwords are sent only when typed.
 */
export function createBody(f: ProfileForm): CreateBody {
  const shown = shownFields(f);
  return {
    name: f.name,
    description: textOrNull(f.description),
    ...(f.ownerId.trim() === '' ? {} : { ownerId: f.ownerId.trim() }),
    autoDiscoverServerLocation: f.autoDiscoverServerLocation,
    ...(shown.serverLocations && {
      incomingServerLocation: textOrNull(f.incomingServerLocation),
      outgoingServerLocation: textOrNull(f.outgoingServerLocation),
    }),
    // The seed offers Without Credential (Anonymous), and the API refuses it for Exchange with the seed's words;
    // the document leaves it out of the values a request may hold, since none is ever accepted.
    authenticateUsing: f.authenticateUsing as CreateBody['authenticateUsing'],
    ...(shown.credentials && { userName: textOrNull(f.userName) }),
    ...(shown.credentials && f.password !== '' && { password: f.password }),
    useSameSettingsForOutgoing: f.useSameSettingsForOutgoing,
    ...(shown.outgoingCredentials && { outgoingUserName: textOrNull(f.outgoingUserName) }),
    ...(shown.outgoingCredentials && f.outgoingPassword !== '' && { outgoingPassword: f.outgoingPassword }),
    incomingAuthenticationProtocol: f.incomingAuthenticationProtocol,
    ...(shown.outgoingProtocol && { outgoingAuthenticationProtocol: f.outgoingAuthenticationProtocol }),
    processEmailFrom: isoInstant(f.processEmailFrom),
    ...numberIfGiven('minimumPollingIntervalMinutes', f.minimumPollingIntervalMinutes),
    ...numberIfGiven('maxConcurrentConnections', f.maxConcurrentConnections),
    moveFailedEmailsToUndeliverableFolder: f.moveFailedEmailsToUndeliverableFolder,
  };
}

/**
 * What the form changes of a stored profile: only what differs, so an unchanged user name is not sent again (over
 * plain HTTP the API refuses credentials, P-6), and a typed password.
 */
export function updateBody(f: ProfileForm, stored: Profile): UpdateBody {
  const now = createBody(f) as Record<string, unknown>;
  const before = createBody(formFromProfile(stored)) as Record<string, unknown>;
  const changed = Object.entries(now).filter(
    ([k, v]) =>
      k === 'password' || k === 'outgoingPassword' || JSON.stringify(v) !== JSON.stringify(before[k]),
  );
  return Object.fromEntries(changed);
}
