import { DeciderSpecification } from '../shared/decider-spec';
import { ProfileFacts } from '../shared/facts';
import { OrganizationCommand } from './commands';
import { organizationDecider, organizationEmailSettingsOf } from './decider';
import { OrganizationEvent } from './events';
import { ORGANIZATION_EMAIL_DEFAULTS, OrganizationEmailSettingsPatch } from './types';

const spec = DeciderSpecification.for(organizationDecider);
const meta = { commandId: 'c-1', actor: 'admin-1', issuedAt: '2026-02-01T09:00:00Z' };
const organizationId = 'org-1';
const active: ProfileFacts = { exists: true, active: true };

const set = (
  changes: OrganizationEmailSettingsPatch,
  defaultServerProfile?: ProfileFacts,
): OrganizationCommand => ({
  ...meta,
  type: 'SetOrganizationEmailSettings',
  organizationId,
  changes,
  defaultServerProfile,
});
const changed = (changes: OrganizationEmailSettingsPatch): OrganizationEvent => ({
  type: 'OrganizationEmailSettingsChanged',
  data: { organizationId, changes },
});
const first = changed({ ...ORGANIZATION_EMAIL_DEFAULTS, defaultServerProfileId: 'p-1' });

describe('organization email settings decider (O-1…O-3)', () => {
  it('reads as server-side sync everywhere, approval required, no profile, before anything is saved', () => {
    expect(organizationEmailSettingsOf(organizationDecider.initialState())).toEqual({
      defaultServerProfileId: null,
      incomingEmailDeliveryMethod: 'ServerSideSync',
      outgoingEmailDeliveryMethod: 'ServerSideSync',
      actDeliveryMethod: 'ServerSideSync',
      processEmailsOnlyForApprovedUsers: true,
      processEmailsOnlyForApprovedQueues: true,
    });
  });

  it('the first change records every field, so replay does not depend on the code defaults', () => {
    spec
      .given([])
      .when(set({ defaultServerProfileId: 'p-1' }, active))
      .then([first]);
    spec
      .given([])
      .when(set({}))
      .then([changed(ORGANIZATION_EMAIL_DEFAULTS)]);
  });

  it('later changes record only what changed', () => {
    const state = spec
      .given([first])
      .when(set({ actDeliveryMethod: 'Outlook', incomingEmailDeliveryMethod: 'ServerSideSync' }))
      .then([changed({ actDeliveryMethod: 'Outlook' })]);
    expect(state).toEqual({
      status: 'Set',
      organizationId,
      settings: {
        ...ORGANIZATION_EMAIL_DEFAULTS,
        defaultServerProfileId: 'p-1',
        actDeliveryMethod: 'Outlook',
      },
    });
  });

  it('a change to the same values gives no event', () => {
    spec
      .given([first])
      .when(set({ defaultServerProfileId: 'p-1' }))
      .thenNothingHappened();
    spec
      .given([first])
      .when(set({ processEmailsOnlyForApprovedQueues: undefined }))
      .thenNothingHappened();
  });

  it('accepts every documented method (O-2)', () => {
    spec
      .given([first])
      .when(
        set({
          incomingEmailDeliveryMethod: 'ForwardMailbox',
          outgoingEmailDeliveryMethod: 'None',
          actDeliveryMethod: 'None',
          processEmailsOnlyForApprovedUsers: false,
          processEmailsOnlyForApprovedQueues: false,
        }),
      )
      .then([
        changed({
          incomingEmailDeliveryMethod: 'ForwardMailbox',
          outgoingEmailDeliveryMethod: 'None',
          actDeliveryMethod: 'None',
          processEmailsOnlyForApprovedUsers: false,
          processEmailsOnlyForApprovedQueues: false,
        }),
      ]);
  });

  it('refuses a method an area does not have', () => {
    spec
      .given([first])
      .when(
        set({
          outgoingEmailDeliveryMethod: 'ForwardMailbox' as never,
          actDeliveryMethod: 'EmailRouter' as never,
        }),
      )
      .thenThrows('validation', [
        { field: 'outgoingEmailDeliveryMethod', rule: 'enum' },
        { field: 'actDeliveryMethod', rule: 'enum' },
      ]);
  });

  it('refuses non-boolean approval flags, unknown fields and a non-object', () => {
    spec
      .given([first])
      .when(set({ processEmailsOnlyForApprovedUsers: 'yes' as never }))
      .thenThrows('validation', [{ field: 'processEmailsOnlyForApprovedUsers', rule: 'type' }]);
    spec
      .given([first])
      .when(set({ emailRouter: true } as OrganizationEmailSettingsPatch))
      .thenThrows('validation', [{ field: 'emailRouter', rule: 'unknownField' }]);
    spec
      .given([first])
      .when(set([] as OrganizationEmailSettingsPatch))
      .thenThrows('validation', [{ field: 'changes', rule: 'type' }]);
  });

  describe('default server profile (O-1)', () => {
    it('refuses a profile that does not exist or is deactivated', () => {
      spec
        .given([first])
        .when(set({ defaultServerProfileId: 'p-9' }, { exists: false, active: false }))
        .thenThrows('validation', [{ field: 'defaultServerProfileId', rule: 'profileExists' }]);
      spec
        .given([first])
        .when(set({ defaultServerProfileId: 'p-9' }, { exists: true, active: false }))
        .thenThrows('validation', [{ field: 'defaultServerProfileId', rule: 'profileActive' }]);
    });

    it('refuses a blank id and accepts clearing it', () => {
      spec
        .given([first])
        .when(set({ defaultServerProfileId: ' ' }, active))
        .thenThrows('validation', [{ field: 'defaultServerProfileId', rule: 'minLength' }]);
      spec
        .given([first])
        .when(set({ defaultServerProfileId: null }))
        .then([changed({ defaultServerProfileId: null })]);
    });

    it('needs the facts only when the profile changes', () => {
      expect(() =>
        organizationDecider.decide(
          set({ defaultServerProfileId: 'p-2' }),
          organizationDecider.initialState(),
        ),
      ).toThrow(/no facts/);
      // unchanged default profile: a deactivated profile does not block unrelated changes
      spec
        .given([first])
        .when(
          set({ defaultServerProfileId: 'p-1', actDeliveryMethod: 'None' }, { exists: true, active: false }),
        )
        .then([changed({ actDeliveryMethod: 'None' })]);
    });
  });

  it('refuses a command for another organization on this stream', () => {
    spec
      .given([first])
      .when({ ...set({ actDeliveryMethod: 'None' }), organizationId: 'org-2' })
      .thenThrows('conflict');
  });
});

describe('service interruptions (issue #11: the alerts say what happened)', () => {
  const interruption = {
    dependency: 'kafka' as const,
    role: 'sync-worker',
    instanceId: 'w-1',
    from: '2026-02-01T09:00:00.000Z',
    to: '2026-02-01T09:00:41.000Z',
    deferred: { polls: 12, tests: 0, sends: 3 },
  };
  const record = (over: Record<string, unknown> = {}): OrganizationCommand => ({
    ...meta,
    type: 'RecordServiceInterruption',
    organizationId,
    ...interruption,
    ...over,
  });
  const recorded: OrganizationEvent = {
    type: 'ServiceInterruptionRecorded',
    data: { organizationId, ...interruption },
  };

  it('records one, and the settings stay as they were (set or not)', () => {
    spec.given([first]).when(record()).then([recorded]);
    const state = spec.given([first, recorded]).when(record()).then([recorded]);
    expect(organizationEmailSettingsOf(state).defaultServerProfileId).toBe('p-1');
    expect(spec.given([]).when(record()).then([recorded])).toEqual({ status: 'Unset' });
  });

  it('refuses what is not an interruption, naming the field and the rule', () => {
    spec
      .given([])
      .when(record({ dependency: 'redis' }))
      .thenThrows('validation', [{ field: 'dependency', rule: 'enum' }]);
    spec
      .given([])
      .when(record({ to: '2026-02-01T08:00:00.000Z' }))
      .thenThrows('validation', [{ field: 'to', rule: 'notBefore' }]);
    spec
      .given([])
      .when(record({ deferred: { polls: -1, tests: 0, sends: 0 }, role: '' }))
      .thenThrows('validation', [{ field: 'deferred.polls' }, { field: 'role' }]);
  });
});
