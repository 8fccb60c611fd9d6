import { SealedSecret } from '../shared/decider';
import { DeciderSpecification } from '../shared/decider-spec';
import { ProfileCommand } from './commands';
import { profileDecider } from './decider';
import { ProfileEvent } from './events';
import { ProfileSettings } from './types';

const spec = DeciderSpecification.for(profileDecider);
const meta = { commandId: 'c-1', actor: 'system:key-rotation', issuedAt: '2026-02-01T09:00:00Z' };
const profileId = 'p-1';
const under = (keyId: string, ct: string): SealedSecret => `enc:v1:${keyId}:aXY=:dGFn:${ct}` as SealedSecret;

const settings: ProfileSettings = {
  name: 'Contoso Exchange',
  description: null,
  autoDiscoverServerLocation: false,
  incomingServerLocation: 'https://mail.contoso.test/EWS/Exchange.asmx',
  outgoingServerLocation: 'https://mail.contoso.test/EWS/Exchange.asmx',
  authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
  userName: 'svc-crm',
  password: under('A', 'pw'),
  useSameSettingsForOutgoing: false,
  outgoingUserName: 'svc-out',
  outgoingPassword: under('A', 'out'),
  incomingAuthenticationProtocol: 'AutoDetect',
  outgoingAuthenticationProtocol: 'AutoDetect',
  processEmailFrom: null,
  minimumPollingIntervalMinutes: 1,
  maxConcurrentConnections: 10,
  moveFailedEmailsToUndeliverableFolder: false,
  ownerId: 'admin-1',
};
const created: ProfileEvent = { type: 'ProfileCreated', data: { profileId, settings } };
const reseal = (
  resealed: Extract<ProfileCommand, { type: 'ResealProfileCredentials' }>['resealed'],
  keyId = 'B',
): ProfileCommand => ({ ...meta, type: 'ResealProfileCredentials', profileId, keyId, resealed });
const both = reseal({
  password: { from: under('A', 'pw'), to: under('B', 'pw2') },
  outgoingPassword: { from: under('A', 'out'), to: under('B', 'out2') },
});
const resealedBoth: ProfileEvent = {
  type: 'ProfileCredentialsResealed',
  data: {
    profileId,
    keyId: 'B',
    resealed: { password: under('B', 'pw2'), outgoingPassword: under('B', 'out2') },
  },
};

describe('profile decider: ResealProfileCredentials (key rotation, docs/adr/0019)', () => {
  it('puts every secret under the new key in one event, and changes nothing else', () => {
    const state = spec.given([created]).when(both).then([resealedBoth]);
    expect(state).toEqual({
      status: 'Active',
      profileId,
      settings: { ...settings, password: under('B', 'pw2'), outgoingPassword: under('B', 'out2') },
    });
  });

  it('reseals a deactivated profile too: it may be activated again', () => {
    spec
      .given([created, { type: 'ProfileDeactivated', data: { profileId, reassignMailboxesTo: null } }])
      .when(both)
      .then([resealedBoth]);
  });

  it('is idempotent: a secret already under the key is skipped, and nothing left means no event', () => {
    spec.given([created, resealedBoth]).when(both).thenNothingHappened();
  });

  it('never overwrites a secret changed since the reseal was made', () => {
    const changed: ProfileEvent = {
      type: 'ProfileUpdated',
      data: { profileId, changes: { password: under('B', 'new') } },
    };
    spec
      .given([created, changed])
      .when(both)
      .then([
        {
          type: 'ProfileCredentialsResealed',
          data: { profileId, keyId: 'B', resealed: { outgoingPassword: under('B', 'out2') } },
        },
      ]);
  });

  it('skips a secret that was cleared meanwhile', () => {
    const cleared: ProfileEvent = {
      type: 'ProfileUpdated',
      data: {
        profileId,
        changes: { outgoingPassword: null, outgoingUserName: null, useSameSettingsForOutgoing: true },
      },
    };
    spec
      .given([created, cleared])
      .when(reseal({ outgoingPassword: { from: under('A', 'out'), to: under('B', 'out2') } }))
      .thenNothingHappened();
  });

  it('refuses a new value sealed with another key than the one named', () => {
    spec
      .given([created])
      .when(reseal({ password: { from: under('A', 'pw'), to: under('C', 'pw2') } }))
      .thenThrows('validation', [{ field: 'resealed.password.to', rule: 'sealedWithKey' }]);
  });

  it('refuses a value in clear and a field that holds no secret', () => {
    spec
      .given([created])
      .when(
        reseal({
          password: { from: under('A', 'pw'), to: 'hunter2' as SealedSecret },
          name: { from: under('A', 'x'), to: under('B', 'y') },
        } as never),
      )
      .thenThrows('validation', [
        { field: 'resealed.password', rule: 'sealed' },
        { field: 'resealed.name', rule: 'unknownField' },
      ]);
  });

  it('refuses a profile that does not exist', () => {
    spec.given([]).when(both).thenThrows('not-found');
  });
});
