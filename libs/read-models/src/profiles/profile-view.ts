import { ProfileSettings, ProfileState } from '@ssync/domain';

/** What the API shows of a profile: every setting but the secrets, which only say whether they are set. */
export interface ProfileView {
  id: string;
  status: 'Active' | 'Inactive';
  version: number;
  name: string;
  description: string | null;
  autoDiscoverServerLocation: boolean;
  incomingServerLocation: string | null;
  outgoingServerLocation: string | null;
  authenticateUsing: ProfileSettings['authenticateUsing'];
  userName: string | null;
  passwordSet: boolean;
  useSameSettingsForOutgoing: boolean;
  outgoingUserName: string | null;
  outgoingPasswordSet: boolean;
  incomingAuthenticationProtocol: ProfileSettings['incomingAuthenticationProtocol'];
  outgoingAuthenticationProtocol: ProfileSettings['outgoingAuthenticationProtocol'];
  processEmailFrom: string | null;
  minimumPollingIntervalMinutes: number;
  maxConcurrentConnections: number;
  moveFailedEmailsToUndeliverableFolder: boolean;
  ownerId: string;
}

export function profileView(
  id: string,
  status: 'Active' | 'Inactive',
  settings: ProfileSettings,
  version: number,
): ProfileView {
  const { password, outgoingPassword, ...rest } = settings;
  return {
    id,
    status,
    version,
    ...rest,
    passwordSet: password !== null,
    outgoingPasswordSet: outgoingPassword !== null,
  };
}

export function profileViewFromState(state: ProfileState, version: number): ProfileView | null {
  return state.status === 'None' ? null : profileView(state.profileId, state.status, state.settings, version);
}
