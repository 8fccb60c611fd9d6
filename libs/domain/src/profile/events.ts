import { ProfileSettings, ProfileSettingsPatch } from './types';

/** Event payloads; the envelope (sequence, actor, time, ids) is added by libs/messaging. */
export type ProfileEvent =
  | { type: 'ProfileCreated'; data: { profileId: string; settings: ProfileSettings } }
  | { type: 'ProfileUpdated'; data: { profileId: string; changes: ProfileSettingsPatch } }
  | { type: 'ProfileDeactivated'; data: { profileId: string; reassignMailboxesTo: string | null } }
  | { type: 'ProfileActivated'; data: { profileId: string } };

export type ProfileEventType = ProfileEvent['type'];
