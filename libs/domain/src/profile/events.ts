import { SealedSecret } from '../shared/decider';
import { ProfileSecretField, ProfileSettings, ProfileSettingsPatch } from './types';

/** Event payloads; the envelope (sequence, actor, time, ids) is added by libs/messaging. */
export type ProfileEvent =
  | { type: 'ProfileCreated'; data: { profileId: string; settings: ProfileSettings } }
  | { type: 'ProfileUpdated'; data: { profileId: string; changes: ProfileSettingsPatch } }
  | { type: 'ProfileDeactivated'; data: { profileId: string; reassignMailboxesTo: string | null } }
  | { type: 'ProfileActivated'; data: { profileId: string } }
  /** The same secrets under key `keyId` (docs/adr/0019): nothing else about the profile changes. */
  | {
      type: 'ProfileCredentialsResealed';
      data: { profileId: string; keyId: string; resealed: Partial<Record<ProfileSecretField, SealedSecret>> };
    };

export type ProfileEventType = ProfileEvent['type'];
