import type { Profile } from '../api/client';
import {
  type ConflictFields,
  type FieldChange,
  type Rebased,
  fieldChanges,
  plainText,
  rebaseForm,
} from '../ui/form-conflict';
import {
  AUTHENTICATE_USING_LABELS,
  PROFILE_LABELS,
  PROTOCOL_LABELS,
  type ProfileForm,
  formFromProfile,
} from './profile-form';

export type ProfileChange = FieldChange<keyof ProfileForm>;
export type RebasedProfile = Rebased<ProfileForm>;

/**
 * A password counts as changed only when one is stored or removed: the API says whether one is stored, never which,
 * so a replaced password goes unseen.
 */
const PROFILE_FIELDS: ConflictFields<ProfileForm, Profile> = {
  labels: PROFILE_LABELS,
  formOf: formFromProfile,
  shown: (key, value) => {
    if (key === 'authenticateUsing')
      return AUTHENTICATE_USING_LABELS[value as ProfileForm['authenticateUsing']];
    if (key === 'incomingAuthenticationProtocol' || key === 'outgoingAuthenticationProtocol')
      return PROTOCOL_LABELS[value as ProfileForm['incomingAuthenticationProtocol']];
    return plainText(value);
  },
  secrets: {
    password: (before, after) => before.passwordSet !== after.passwordSet,
    outgoingPassword: (before, after) => before.outgoingPasswordSet !== after.outgoingPasswordSet,
  },
};

/** What changed between two versions of a profile, field by field; a password only as "changed". */
export const profileChanges = (before: Profile, after: Profile): ProfileChange[] =>
  fieldChanges(PROFILE_FIELDS, before, after);

/** The user's form, rebased from the profile they opened on the version someone else saved since. */
export const rebaseProfileForm = (mine: ProfileForm, base: Profile, theirs: Profile): RebasedProfile =>
  rebaseForm(PROFILE_FIELDS, mine, base, theirs);
