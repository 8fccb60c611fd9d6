import { SealedSecret } from '../shared/decider';
import { DeciderSpecification } from '../shared/decider-spec';
import { MailboxCommand } from './commands';
import { MailboxState, mailboxDecider } from './decider';
import { MailboxEvent } from './events';
import { MAILBOX_AREAS } from './types';

const spec = DeciderSpecification.for(mailboxDecider);
const mailboxId = 'mbx-1';
const meta = { commandId: 'c-1', actor: 'system:key-rotation', issuedAt: '2026-02-01T09:00:00Z', mailboxId };
const under = (keyId: string, ct: string): SealedSecret => `enc:v1:${keyId}:aXY=:dGFn:${ct}` as SealedSecret;

const provisioned: MailboxEvent = {
  type: 'MailboxProvisioned',
  data: {
    mailboxId,
    kind: 'User',
    emailAddressStatus: 'PendingApproval',
    settings: {
      name: 'Ada',
      emailAddress: 'ada@contoso.test',
      ownerId: 'u-ada',
      serverProfileId: 'p-1',
      incomingEmailDeliveryMethod: 'ServerSideSync',
      outgoingEmailDeliveryMethod: 'None',
      actDeliveryMethod: 'None',
      syncOnlyFromThisOrg: false,
    },
  },
};
const credentialsSet = (password: SealedSecret | null): MailboxEvent => ({
  type: 'MailboxCredentialsSet',
  data: {
    mailboxId,
    credentials: password === null ? null : { userName: 'ada', password },
    resetAreas: [...MAILBOX_AREAS],
  },
});
const tested: MailboxEvent[] = [
  {
    type: 'TestRequested',
    data: { mailboxId, testId: 't-1', requestedAt: meta.issuedAt, areas: ['incomingEmail'] },
  },
  {
    type: 'MailboxTestCompleted',
    data: {
      mailboxId,
      testId: 't-1',
      attempt: 0,
      completedAt: meta.issuedAt,
      areas: { incomingEmail: { status: 'Success', reason: null, errorClass: null, enabled: true } },
      mailboxStatus: 'Success',
      mailboxStatusReason: null,
      retry: null,
      retriesExhausted: false,
    },
  },
];
const reseal = (from: SealedSecret, to: SealedSecret, keyId = 'B'): MailboxCommand => ({
  ...meta,
  type: 'ResealMailboxCredentials',
  keyId,
  password: { from, to },
});
const resealed: MailboxEvent = {
  type: 'MailboxCredentialsResealed',
  data: { mailboxId, keyId: 'B', password: under('B', 'pw2') },
};
const mailboxOf = (state: MailboxState) => (state.status === 'None' ? null : state.mailbox);

describe('mailbox decider: ResealMailboxCredentials (key rotation, docs/adr/0019)', () => {
  const given = [provisioned, credentialsSet(under('A', 'pw')), ...tested];

  it('puts the password under the new key and leaves the test outcome as it was', () => {
    const before = mailboxOf(given.reduce(mailboxDecider.evolve, mailboxDecider.initialState()));
    const after = mailboxOf(
      spec
        .given(given)
        .when(reseal(under('A', 'pw'), under('B', 'pw2')))
        .then([resealed]),
    );
    expect(after).toEqual({ ...before, credentials: { userName: 'ada', password: under('B', 'pw2') } });
    expect(after?.enabledForIncomingEmail).toBe(true);
  });

  it('is idempotent: a password already under the key is skipped', () => {
    spec
      .given([...given, resealed])
      .when(reseal(under('A', 'pw'), under('B', 'pw3')))
      .thenNothingHappened();
  });

  it('never overwrites credentials set or cleared since the reseal was made', () => {
    spec
      .given([...given, credentialsSet(under('A', 'newer'))])
      .when(reseal(under('A', 'pw'), under('B', 'pw2')))
      .thenNothingHappened();
    spec
      .given([...given, credentialsSet(null)])
      .when(reseal(under('A', 'pw'), under('B', 'pw2')))
      .thenNothingHappened();
  });

  it('reseals a deactivated mailbox too', () => {
    spec
      .given([...given, { type: 'MailboxDeactivated', data: { mailboxId } }])
      .when(reseal(under('A', 'pw'), under('B', 'pw2')))
      .then([resealed]);
  });

  it('refuses a new value under another key than the one named, or in clear', () => {
    spec
      .given(given)
      .when(reseal(under('A', 'pw'), under('C', 'pw2')))
      .thenThrows('validation', [{ field: 'password.to', rule: 'sealedWithKey' }]);
    spec
      .given(given)
      .when(reseal(under('A', 'pw'), 'hunter2' as SealedSecret))
      .thenThrows('validation', [{ field: 'password', rule: 'sealed' }]);
  });

  it('refuses a mailbox that does not exist', () => {
    spec
      .given([])
      .when(reseal(under('A', 'pw'), under('B', 'pw2')))
      .thenThrows('not-found');
  });
});
