import {
  Decider,
  DomainError,
  Violation,
  assertNever,
  assertValid,
  isSealedSecret,
  resealApplies,
  resealViolations,
} from '../shared/decider';
import { rules } from '../shared/rules';
import { ProfileCommand } from './commands';
import { ProfileEvent } from './events';
import {
  AUTHENTICATE_USING,
  AUTHENTICATION_PROTOCOLS,
  PROFILE_DEFAULTS,
  PROFILE_FIELDS,
  PROFILE_SECRET_FIELDS,
  ProfileSecretField,
  ProfileSettings,
  ProfileSettingsPatch,
} from './types';

export type ProfileState =
  { status: 'None' } | { status: 'Active' | 'Inactive'; profileId: string; settings: ProfileSettings };

export const initialProfileState = (): ProfileState => ({ status: 'None' });

const PROFILE_CREDENTIALS = 'CredentialsSpecifiedInEmailServerProfile';

/** Fields in `input` that a profile does not have. */
export function unknownProfileFields(input: object): Violation[] {
  const known = new Set<string>(PROFILE_FIELDS);
  return Object.keys(input)
    .filter((k) => !known.has(k))
    .map((k) => ({ field: k, rule: 'unknownField', message: 'is not a field of an email server profile' }));
}

function trimmed(settings: ProfileSettings): ProfileSettings {
  return {
    ...settings,
    name: typeof settings.name === 'string' ? settings.name.trim() : settings.name,
    userName: typeof settings.userName === 'string' ? settings.userName.trim() : settings.userName,
    outgoingUserName:
      typeof settings.outgoingUserName === 'string'
        ? settings.outgoingUserName.trim()
        : settings.outgoingUserName,
  };
}

/**
 * A key present with the value `undefined` means "not given" (it is what an optional DTO property becomes).
 * Without this, `{ description: undefined }` overwrote a stored value with `undefined`, passed validation
 * (nullable fields accept undefined), and produced an event whose change vanishes in JSON, so the state
 * rebuilt from the log differed from the state the decider had seen.
 */
function withoutUndefined<T extends object>(patch: T): T {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as T;
}

/** Commands come from JSON: anything but a plain object is refused before its keys are read. */
function notAnObject(field: string, value: unknown): Violation[] {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? []
    : [{ field, rule: 'type', message: 'must be an object' }];
}

/**
 * Completes `next` from the previous settings the way the profile form does: switching a choice off clears the
 * fields that only belong to it (unless the same change sets them, which is then refused by validation), and with
 * "Use same settings for Outgoing" the outgoing protocol mirrors the incoming one.
 */
function normalize(previous: ProfileSettings | null, input: ProfileSettingsPatch): ProfileSettings {
  const base = previous ?? ({ ...PROFILE_DEFAULTS } as unknown as ProfileSettings);
  const patch = withoutUndefined(input);
  const next = trimmed({ ...base, ...patch });
  const given = (k: keyof ProfileSettings): boolean => Object.prototype.hasOwnProperty.call(patch, k);
  if (next.autoDiscoverServerLocation === true) {
    if (!given('incomingServerLocation')) next.incomingServerLocation = null;
    if (!given('outgoingServerLocation')) next.outgoingServerLocation = null;
  }
  if (next.authenticateUsing !== PROFILE_CREDENTIALS) {
    if (!given('userName')) next.userName = null;
    if (!given('password')) next.password = null;
  }
  if (next.authenticateUsing !== PROFILE_CREDENTIALS || next.useSameSettingsForOutgoing === true) {
    if (!given('outgoingUserName')) next.outgoingUserName = null;
    if (!given('outgoingPassword')) next.outgoingPassword = null;
  }
  if (next.useSameSettingsForOutgoing === true && !given('outgoingAuthenticationProtocol')) {
    next.outgoingAuthenticationProtocol = next.incomingAuthenticationProtocol;
  }
  return next;
}

/** Every rule of SPEC P-1…P-12 over a complete settings object. */
export function validateProfileSettings(s: ProfileSettings): Violation[] {
  const v: Violation[] = [];
  v.push(...rules.requiredString('name', s.name, 1, 100));
  v.push(...rules.optionalString('description', s.description, 2000));
  v.push(...rules.boolean('autoDiscoverServerLocation', s.autoDiscoverServerLocation));
  if (s.autoDiscoverServerLocation === false) {
    for (const field of ['incomingServerLocation', 'outgoingServerLocation'] as const) {
      if (s[field] === null || s[field] === undefined) {
        v.push({
          field,
          rule: 'requiredWithoutAutoDiscover',
          message: 'is required when autoDiscoverServerLocation is false',
        });
      } else {
        v.push(...rules.httpUrl(field, s[field]));
      }
    }
  } else if (s.autoDiscoverServerLocation === true) {
    for (const field of ['incomingServerLocation', 'outgoingServerLocation'] as const) {
      if (s[field] !== null && s[field] !== undefined) {
        v.push({
          field,
          rule: 'forbiddenWithAutoDiscover',
          message:
            'must be empty when autoDiscoverServerLocation is true (the location is discovered per mailbox)',
        });
      }
    }
  }
  if (s.authenticateUsing === 'WithoutCredentials') {
    v.push({
      field: 'authenticateUsing',
      rule: 'notValidSetting',
      message: 'WithoutCredentials (Anonymous) is not a valid setting for an Exchange profile',
    });
  } else {
    v.push(
      ...rules.oneOf(
        'authenticateUsing',
        s.authenticateUsing,
        AUTHENTICATE_USING.filter((a) => a !== 'WithoutCredentials'),
      ),
    );
  }
  const profileCredentials = s.authenticateUsing === PROFILE_CREDENTIALS;
  const credentialPairs = [
    ['userName', 'password', true],
    ['outgoingUserName', 'outgoingPassword', s.useSameSettingsForOutgoing === false],
  ] as const;
  for (const [userField, passwordField, applies] of credentialPairs) {
    if (profileCredentials && applies) {
      v.push(...rules.requiredString(userField, s[userField], 1, 256));
      if (s[passwordField] === null || s[passwordField] === undefined) {
        v.push({
          field: passwordField,
          rule: 'requiredWithProfileCredentials',
          message: `is required when authenticateUsing is ${PROFILE_CREDENTIALS}`,
        });
      } else if (!isSealedSecret(s[passwordField])) {
        v.push({
          field: passwordField,
          rule: 'sealed',
          message: 'must be sealed before it reaches the domain',
        });
      }
    } else {
      const why = profileCredentials
        ? 'is only allowed when useSameSettingsForOutgoing is false'
        : `is only allowed when authenticateUsing is ${PROFILE_CREDENTIALS}`;
      for (const field of [userField, passwordField]) {
        if (s[field] !== null && s[field] !== undefined)
          v.push({ field, rule: 'onlyWithProfileCredentials', message: why });
      }
    }
  }
  v.push(...rules.boolean('useSameSettingsForOutgoing', s.useSameSettingsForOutgoing));
  v.push(
    ...rules.oneOf(
      'incomingAuthenticationProtocol',
      s.incomingAuthenticationProtocol,
      AUTHENTICATION_PROTOCOLS,
    ),
  );
  v.push(
    ...rules.oneOf(
      'outgoingAuthenticationProtocol',
      s.outgoingAuthenticationProtocol,
      AUTHENTICATION_PROTOCOLS,
    ),
  );
  if (
    s.useSameSettingsForOutgoing === true &&
    s.outgoingAuthenticationProtocol !== s.incomingAuthenticationProtocol
  ) {
    v.push({
      field: 'outgoingAuthenticationProtocol',
      rule: 'sameAsIncoming',
      message: 'must equal incomingAuthenticationProtocol when useSameSettingsForOutgoing is true',
    });
  }
  if (s.processEmailFrom !== null && s.processEmailFrom !== undefined)
    v.push(...rules.isoInstant('processEmailFrom', s.processEmailFrom));
  v.push(...rules.integerInRange('minimumPollingIntervalMinutes', s.minimumPollingIntervalMinutes, 0, 1440));
  v.push(...rules.integerInRange('maxConcurrentConnections', s.maxConcurrentConnections, 1, 300));
  v.push(...rules.boolean('moveFailedEmailsToUndeliverableFolder', s.moveFailedEmailsToUndeliverableFolder));
  v.push(...rules.requiredString('ownerId', s.ownerId, 1, 128));
  return v;
}

function changedFields(before: ProfileSettings, after: ProfileSettings): ProfileSettingsPatch {
  const changes: Record<string, unknown> = {};
  for (const k of PROFILE_FIELDS) if (before[k] !== after[k]) changes[k] = after[k];
  return changes;
}

function requireExisting(
  state: ProfileState,
  profileId: string,
): Extract<ProfileState, { status: 'Active' | 'Inactive' }> {
  if (state.status === 'None')
    throw new DomainError('not-found', `email server profile ${profileId} does not exist`);
  return state;
}

/**
 * Key rotation (docs/adr/0019), for deactivated profiles too (they may be activated again). A secret changed since
 * the reseal was made, or already under the key, is left as it is: no event when none is left.
 */
function decideReseal(
  current: Extract<ProfileState, { status: 'Active' | 'Inactive' }>,
  command: Extract<ProfileCommand, { type: 'ResealProfileCredentials' }>,
): ProfileEvent[] {
  assertValid(notAnObject('resealed', command.resealed));
  const known = new Set<string>(PROFILE_SECRET_FIELDS);
  const v: Violation[] = Object.keys(command.resealed)
    .filter((k) => !known.has(k))
    .map((k) => ({
      field: `resealed.${k}`,
      rule: 'unknownField',
      message: 'is not a sealed field of a profile',
    }));
  for (const field of PROFILE_SECRET_FIELDS)
    v.push(...resealViolations(`resealed.${field}`, command.keyId, command.resealed[field]));
  assertValid(v);
  const resealed: ProfileSecretField[] = PROFILE_SECRET_FIELDS.filter((field) => {
    const reseal = command.resealed[field];
    return reseal !== undefined && resealApplies(current.settings[field], reseal, command.keyId);
  });
  if (resealed.length === 0) return [];
  return [
    {
      type: 'ProfileCredentialsResealed',
      data: {
        profileId: command.profileId,
        keyId: command.keyId,
        resealed: Object.fromEntries(resealed.map((field) => [field, command.resealed[field]?.to])),
      },
    },
  ];
}

export function decideProfile(command: ProfileCommand, state: ProfileState): ProfileEvent[] {
  switch (command.type) {
    case 'CreateProfile': {
      if (state.status !== 'None')
        throw new DomainError('conflict', `email server profile ${command.profileId} already exists`);
      assertValid(notAnObject('settings', command.settings));
      assertValid(unknownProfileFields(command.settings));
      const settings = normalize(null, { ownerId: command.actor, ...command.settings });
      assertValid(validateProfileSettings(settings));
      return [{ type: 'ProfileCreated', data: { profileId: command.profileId, settings } }];
    }
    case 'UpdateProfile': {
      const current = requireExisting(state, command.profileId);
      if (current.status === 'Inactive')
        throw new DomainError(
          'gone',
          `email server profile ${command.profileId} is deactivated; activate it before changing it`,
        );
      assertValid(notAnObject('changes', command.changes));
      assertValid(unknownProfileFields(command.changes));
      const next = normalize(current.settings, command.changes);
      assertValid(validateProfileSettings(next));
      const changes = changedFields(current.settings, next);
      return Object.keys(changes).length === 0
        ? []
        : [{ type: 'ProfileUpdated', data: { profileId: command.profileId, changes } }];
    }
    case 'DeactivateProfile': {
      const current = requireExisting(state, command.profileId);
      if (current.status === 'Inactive') return [];
      const target = command.reassignMailboxesTo ?? null;
      // The count is a fact the handler gathers; a NaN or negative count would silently skip the P-14 check.
      assertValid(
        rules.integerInRange(
          'associatedMailboxCount',
          command.associatedMailboxCount,
          0,
          Number.MAX_SAFE_INTEGER,
        ),
      );
      // A blank target would "reassign" the mailboxes to no profile at all.
      if (target !== null) assertValid(rules.requiredString('reassignMailboxesTo', target, 1, 128));
      if (command.associatedMailboxCount > 0 && target === null) {
        throw DomainError.validation([
          {
            field: 'reassignMailboxesTo',
            rule: 'requiredWithMailboxes',
            message: `the profile has ${command.associatedMailboxCount} mailbox(es); say which profile they move to`,
          },
        ]);
      }
      if (target === command.profileId) {
        throw DomainError.validation([
          { field: 'reassignMailboxesTo', rule: 'otherProfile', message: 'must name another profile' },
        ]);
      }
      return [
        { type: 'ProfileDeactivated', data: { profileId: command.profileId, reassignMailboxesTo: target } },
      ];
    }
    case 'ActivateProfile': {
      const current = requireExisting(state, command.profileId);
      return current.status === 'Active'
        ? []
        : [{ type: 'ProfileActivated', data: { profileId: command.profileId } }];
    }
    case 'ResealProfileCredentials':
      return decideReseal(requireExisting(state, command.profileId), command);
    default:
      return assertNever(command, 'profile command');
  }
}

export function evolveProfile(state: ProfileState, event: ProfileEvent): ProfileState {
  switch (event.type) {
    case 'ProfileCreated':
      return { status: 'Active', profileId: event.data.profileId, settings: event.data.settings };
    case 'ProfileUpdated':
      return state.status === 'None'
        ? state
        : { ...state, settings: { ...state.settings, ...event.data.changes } };
    case 'ProfileDeactivated':
      return state.status === 'None' ? state : { ...state, status: 'Inactive' };
    case 'ProfileActivated':
      return state.status === 'None' ? state : { ...state, status: 'Active' };
    case 'ProfileCredentialsResealed':
      return state.status === 'None'
        ? state
        : { ...state, settings: { ...state.settings, ...event.data.resealed } };
    default:
      return assertNever(event, 'profile event');
  }
}

export const profileDecider: Decider<ProfileCommand, ProfileEvent, ProfileState> = {
  decide: decideProfile,
  evolve: evolveProfile,
  initialState: initialProfileState,
};
