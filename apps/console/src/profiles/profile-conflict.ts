import type { Profile } from '../api/client';
import {
  AUTHENTICATE_USING_LABELS,
  PROFILE_LABELS,
  PROTOCOL_LABELS,
  type ProfileForm,
  formFromProfile,
} from './profile-form';

type Key = keyof ProfileForm;

/** One field someone else changed. A secret says only that it changed: its values are never shown (nor known). */
export type ProfileChange =
  | { field: Key; label: string; secret: false; from: string; to: string }
  | { field: Key; label: string; secret: true };

export interface Rebased {
  /** The form on the new version: their changes, plus the user's edits to fields they did not touch. */
  form: ProfileForm;
  changes: ProfileChange[];
  /** Fields both changed differently: the form holds their value, the user decides. */
  conflicts: Key[];
}

const SECRETS: Partial<Record<Key, 'passwordSet' | 'outgoingPasswordSet'>> = {
  password: 'passwordSet',
  outgoingPassword: 'outgoingPasswordSet',
};
const KEYS = Object.keys(PROFILE_LABELS) as Key[];

function shown(key: Key, value: ProfileForm[Key]): string {
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (key === 'authenticateUsing')
    return AUTHENTICATE_USING_LABELS[value as ProfileForm['authenticateUsing']];
  if (key === 'incomingAuthenticationProtocol' || key === 'outgoingAuthenticationProtocol')
    return PROTOCOL_LABELS[value as ProfileForm['incomingAuthenticationProtocol']];
  return value === '' ? '(empty)' : value;
}

/**
 * What changed between two versions of a profile, field by field. A password counts as changed only when one is
 * stored or removed: the API says whether one is stored, never which, so a replaced password goes unseen.
 */
export function profileChanges(before: Profile, after: Profile): ProfileChange[] {
  const a = formFromProfile(before);
  const b = formFromProfile(after);
  return KEYS.flatMap((field): ProfileChange[] => {
    const label = PROFILE_LABELS[field];
    const flag = SECRETS[field];
    if (flag) return before[flag] === after[flag] ? [] : [{ field, label, secret: true }];
    return a[field] === b[field]
      ? []
      : [{ field, label, secret: false, from: shown(field, a[field]), to: shown(field, b[field]) }];
  });
}

/**
 * Rebases the user's form from the version they opened (`base`) on the version someone else saved since
 * (`theirs`), as a three-way merge per field: untouched by the user → theirs; untouched by them → the user's;
 * both, to the same value → that; both, differently → theirs, marked as a conflict.
 */
export function rebaseProfileForm(mine: ProfileForm, base: Profile, theirs: Profile): Rebased {
  const opened = formFromProfile(base);
  const now = formFromProfile(theirs);
  const changes = profileChanges(base, theirs);
  const theyChanged = new Set(changes.map((c) => c.field));
  const conflicts: Key[] = [];
  const form = { ...now };
  for (const key of KEYS) {
    const userChanged = mine[key] !== opened[key];
    if (!userChanged) continue;
    if (!theyChanged.has(key) || mine[key] === now[key]) {
      // A typed password rides along unless they changed the stored one too.
      (form as Record<Key, unknown>)[key] = mine[key];
      continue;
    }
    conflicts.push(key);
  }
  return { form, changes, conflicts };
}
