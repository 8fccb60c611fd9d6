import type { Profile } from '../api/client';

/** Test support for the profile specs: the one stored profile they start from. */
export const EWS = 'https://mail.contoso.com/EWS/Exchange.asmx';

export const STORED_PROFILE: Profile = {
  id: 'p1',
  status: 'Active',
  version: 3,
  name: 'Contoso',
  description: null,
  autoDiscoverServerLocation: false,
  incomingServerLocation: EWS,
  outgoingServerLocation: EWS,
  authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
  userName: 'CONTOSO\\svc',
  passwordSet: true,
  useSameSettingsForOutgoing: true,
  outgoingUserName: null,
  outgoingPasswordSet: false,
  incomingAuthenticationProtocol: 'NTLM',
  outgoingAuthenticationProtocol: 'NTLM',
  processEmailFrom: null,
  minimumPollingIntervalMinutes: 1,
  maxConcurrentConnections: 10,
  moveFailedEmailsToUndeliverableFolder: false,
  ownerId: 'admin',
};
