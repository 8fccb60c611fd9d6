import { Decider, DomainError, Violation, assertNever, assertValid } from '../shared/decider';
import { rules } from '../shared/rules';
import { OrganizationCommand } from './commands';
import { OrganizationEvent } from './events';
import {
  ACT_DELIVERY_METHODS,
  INCOMING_EMAIL_DELIVERY_METHODS,
  ORGANIZATION_EMAIL_DEFAULTS,
  ORGANIZATION_EMAIL_FIELDS,
  OUTGOING_EMAIL_DELIVERY_METHODS,
  OrganizationEmailSettings,
  OrganizationEmailSettingsPatch,
  SERVICE_DEPENDENCIES,
  ServiceInterruption,
} from './types';

/**
 * `Unset` is an organization whose settings nobody has saved: it reads as the defaults (see
 * `organizationEmailSettingsOf`), but has no event yet.
 */
export type OrganizationState =
  { status: 'Unset' } | { status: 'Set'; organizationId: string; settings: OrganizationEmailSettings };

export const initialOrganizationState = (): OrganizationState => ({ status: 'Unset' });

/** The settings in force: the saved ones, or the defaults. */
export function organizationEmailSettingsOf(state: OrganizationState): OrganizationEmailSettings {
  return state.status === 'Set' ? state.settings : { ...ORGANIZATION_EMAIL_DEFAULTS };
}

export function validateOrganizationEmailSettings(s: OrganizationEmailSettings): Violation[] {
  const v: Violation[] = [];
  if (s.defaultServerProfileId !== null) {
    v.push(...rules.requiredString('defaultServerProfileId', s.defaultServerProfileId, 1, 128));
  }
  v.push(
    ...rules.oneOf(
      'incomingEmailDeliveryMethod',
      s.incomingEmailDeliveryMethod,
      INCOMING_EMAIL_DELIVERY_METHODS,
    ),
  );
  v.push(
    ...rules.oneOf(
      'outgoingEmailDeliveryMethod',
      s.outgoingEmailDeliveryMethod,
      OUTGOING_EMAIL_DELIVERY_METHODS,
    ),
  );
  v.push(...rules.oneOf('actDeliveryMethod', s.actDeliveryMethod, ACT_DELIVERY_METHODS));
  v.push(...rules.boolean('processEmailsOnlyForApprovedUsers', s.processEmailsOnlyForApprovedUsers));
  v.push(...rules.boolean('processEmailsOnlyForApprovedQueues', s.processEmailsOnlyForApprovedQueues));
  return v;
}

function inputViolations(changes: unknown): Violation[] {
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
    return [{ field: 'changes', rule: 'type', message: 'must be an object' }];
  }
  const known = new Set<string>(ORGANIZATION_EMAIL_FIELDS);
  return Object.keys(changes)
    .filter((k) => !known.has(k))
    .map((k) => ({ field: k, rule: 'unknownField', message: 'is not an organization email setting' }));
}

function interruptionViolations(i: ServiceInterruption): Violation[] {
  const v: Violation[] = [
    ...rules.oneOf('dependency', i.dependency, SERVICE_DEPENDENCIES),
    ...rules.requiredString('role', i.role, 1, 64),
    ...rules.requiredString('instanceId', i.instanceId, 1, 200),
    ...rules.isoInstant('from', i.from),
    ...rules.isoInstant('to', i.to),
  ];
  if (v.length === 0 && Date.parse(i.to) < Date.parse(i.from))
    v.push({ field: 'to', rule: 'notBefore', message: 'must not be before from' });
  const deferred = (i.deferred ?? {}) as Partial<ServiceInterruption['deferred']>;
  for (const k of ['polls', 'tests', 'sends'] as const)
    v.push(...rules.integerInRange(`deferred.${k}`, deferred[k], 0, 1_000_000_000));
  return v;
}

export function decideOrganization(
  command: OrganizationCommand,
  state: OrganizationState,
): OrganizationEvent[] {
  switch (command.type) {
    case 'SetOrganizationEmailSettings': {
      assertValid(inputViolations(command.changes));
      // An undefined value means "not given" (what an optional DTO property becomes).
      const patch = Object.fromEntries(
        Object.entries(command.changes).filter(([, value]) => value !== undefined),
      ) as OrganizationEmailSettingsPatch;
      const current = organizationEmailSettingsOf(state);
      const next: OrganizationEmailSettings = { ...current, ...patch };
      if (typeof next.defaultServerProfileId === 'string')
        next.defaultServerProfileId = next.defaultServerProfileId.trim();
      const violations = validateOrganizationEmailSettings(next);
      // The default profile must be usable when it is chosen; a profile deactivated later keeps its place here
      // until an administrator picks another (P-14 moves the mailboxes, not the organization default).
      const newProfile = next.defaultServerProfileId;
      if (violations.length === 0 && newProfile !== null && newProfile !== current.defaultServerProfileId) {
        const facts = command.defaultServerProfile;
        if (facts === undefined) {
          // A handler bug, not bad input: the handler must look the profile up.
          throw new Error(
            'SetOrganizationEmailSettings names a default profile but carries no facts about it',
          );
        }
        if (!facts.exists) {
          violations.push({
            field: 'defaultServerProfileId',
            rule: 'profileExists',
            message: `email server profile ${newProfile} does not exist`,
          });
        } else if (!facts.active) {
          violations.push({
            field: 'defaultServerProfileId',
            rule: 'profileActive',
            message: `email server profile ${newProfile} is deactivated`,
          });
        }
      }
      assertValid(violations);
      if (state.status === 'Unset') {
        // The first event records every field (see events.ts), even when they equal the defaults.
        return [
          {
            type: 'OrganizationEmailSettingsChanged',
            data: { organizationId: command.organizationId, changes: next },
          },
        ];
      }
      if (state.organizationId !== command.organizationId) {
        throw new DomainError('conflict', `this stream belongs to organization ${state.organizationId}`);
      }
      const changes: Record<string, unknown> = {};
      for (const k of ORGANIZATION_EMAIL_FIELDS) if (current[k] !== next[k]) changes[k] = next[k];
      return Object.keys(changes).length === 0
        ? []
        : [
            {
              type: 'OrganizationEmailSettingsChanged',
              data: { organizationId: command.organizationId, changes },
            },
          ];
    }
    case 'RecordServiceInterruption': {
      const {
        type: _type,
        commandId: _c,
        actor: _a,
        issuedAt: _i,
        organizationId,
        ...interruption
      } = command;
      assertValid(interruptionViolations(interruption));
      const { dependency, role, instanceId, from, to, deferred } = interruption;
      return [
        {
          type: 'ServiceInterruptionRecorded',
          data: {
            organizationId,
            dependency,
            role,
            instanceId,
            from,
            to,
            deferred: { polls: deferred.polls, tests: deferred.tests, sends: deferred.sends },
          },
        },
      ];
    }
    default:
      return assertNever(command, 'organization command');
  }
}

export function evolveOrganization(state: OrganizationState, event: OrganizationEvent): OrganizationState {
  switch (event.type) {
    case 'OrganizationEmailSettingsChanged':
      return {
        status: 'Set',
        organizationId: event.data.organizationId,
        settings: { ...organizationEmailSettingsOf(state), ...event.data.changes },
      };
    case 'ServiceInterruptionRecorded':
      // History for the administrators' alerts; the settings do not change.
      return state;
    default:
      return assertNever(event, 'organization event');
  }
}

export const organizationDecider: Decider<OrganizationCommand, OrganizationEvent, OrganizationState> = {
  decide: decideOrganization,
  evolve: evolveOrganization,
  initialState: initialOrganizationState,
};
