import { CommandMeta, Reseal } from '../shared/decider';
import { ProfileSecretField, ProfileSettingsPatch } from './types';

export type ProfileCommand =
  | (CommandMeta & {
      type: 'CreateProfile';
      profileId: string;
      /** Fields not given take PROFILE_DEFAULTS; ownerId defaults to the actor. */
      settings: ProfileSettingsPatch;
    })
  | (CommandMeta & { type: 'UpdateProfile'; profileId: string; changes: ProfileSettingsPatch })
  | (CommandMeta & {
      type: 'DeactivateProfile';
      profileId: string;
      /** How many active mailboxes use the profile now; the handler gathers this fact (P-14). */
      associatedMailboxCount: number;
      /** Where those mailboxes go; required when there are any (P-14). */
      reassignMailboxesTo?: string | null;
    })
  | (CommandMeta & { type: 'ActivateProfile'; profileId: string })
  | (CommandMeta & {
      type: 'ResealProfileCredentials';
      profileId: string;
      /** The active key id: every `to` is sealed with it (docs/adr/0019). */
      keyId: string;
      resealed: Partial<Record<ProfileSecretField, Reseal>>;
    });

export type ProfileCommandType = ProfileCommand['type'];
