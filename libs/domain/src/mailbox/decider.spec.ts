import { SealedSecret } from '../shared/decider';
import { DeciderSpecification } from '../shared/decider-spec';
import { MailboxCommand, MailboxProfileFacts } from './commands';
import { MailboxState, mailboxDecider } from './decider';
import { AreaOutcome, MailboxEvent } from './events';
import {
  ACT_NOT_SYNCHRONIZED,
  MAILBOX_AREAS,
  Mailbox,
  MailboxArea,
  MailboxSettings,
  PREFLIGHT_FAILURES,
  TEST_RETRY_POLICY,
} from './types';

const spec = DeciderSpecification.for(mailboxDecider);
const mailboxId = 'mbx-1';
const at = '2026-02-01T09:00:00.000Z';
const meta = { commandId: 'c-1', actor: 'admin-1', issuedAt: at, mailboxId };
const sealed = (x: string): SealedSecret => `enc:v1:k1:aXY=:dGFn:${x}` as SealedSecret;
const profile: MailboxProfileFacts = {
  exists: true,
  active: true,
  authenticateUsing: 'CredentialsSpecifiedInEmailServerProfile',
};
const userCredsProfile: MailboxProfileFacts = {
  ...profile,
  authenticateUsing: 'CredentialsSpecifiedByUserOrQueue',
};

const settings: MailboxSettings = {
  name: 'Ada Lovelace',
  emailAddress: 'ada@contoso.test',
  ownerId: 'u-ada',
  serverProfileId: null,
  incomingEmailDeliveryMethod: 'None',
  outgoingEmailDeliveryMethod: 'None',
  actDeliveryMethod: 'None',
  syncOnlyFromThisOrg: false,
};
const provisioned: MailboxEvent = {
  type: 'MailboxProvisioned',
  data: { mailboxId, kind: 'User', settings, emailAddressStatus: 'PendingApproval' },
};
const sss = {
  serverProfileId: 'p-1',
  incomingEmailDeliveryMethod: 'ServerSideSync',
  outgoingEmailDeliveryMethod: 'ServerSideSync',
  actDeliveryMethod: 'ServerSideSync',
} as const;
const configured: MailboxEvent = {
  type: 'MailboxUpdated',
  data: { mailboxId, changes: sss, resetAreas: [...MAILBOX_AREAS] },
};
const approved: MailboxEvent = {
  type: 'MailboxEmailApproved',
  data: { mailboxId, emailAddress: 'ada@contoso.test' },
};
const ready = [provisioned, configured, approved];
const requested = (
  testId = 'c-1',
  areas: MailboxArea[] = ['incomingEmail', 'outgoingEmail'],
): MailboxEvent => ({
  type: 'TestRequested',
  data: { mailboxId, testId, requestedAt: at, areas },
});
const ok: AreaOutcome = { status: 'Success', reason: null, errorClass: null, enabled: true };
const actNotRun: AreaOutcome = {
  status: 'NotRun',
  reason: ACT_NOT_SYNCHRONIZED,
  errorClass: null,
  enabled: false,
};
const permanent = (reason: string): AreaOutcome => ({
  status: 'Failure',
  reason,
  errorClass: 'Permanent',
  enabled: false,
});

const mailboxOf = (state: MailboxState): Mailbox => {
  if (state.status === 'None') throw new Error('no mailbox');
  return state.mailbox;
};
const requestTest = (
  extra: Partial<Extract<MailboxCommand, { type: 'RequestTest' }>> = {},
): MailboxCommand => ({
  ...meta,
  type: 'RequestTest',
  approvalRequired: true,
  serverProfile: profile,
  ...extra,
});
const result = (
  results: Extract<MailboxCommand, { type: 'RecordTestResult' }>['results'],
  attempt = 0,
  issuedAt = '2026-02-01T09:01:00.000Z',
): MailboxCommand => ({
  ...meta,
  issuedAt,
  commandId: `r-${attempt}`,
  type: 'RecordTestResult',
  testId: 'c-1',
  attempt,
  results,
});
const transient = { outcome: 'Failure', reason: 'ErrorServerBusy', errorClass: 'Transient' } as const;

describe('mailbox decider (M-1…M-8)', () => {
  describe('ProvisionMailbox', () => {
    it('provisions with defaults: no profile, no methods, pending approval of the address', () => {
      const state = spec
        .given([])
        .when({
          ...meta,
          type: 'ProvisionMailbox',
          kind: 'User',
          settings: { name: ' Ada Lovelace ', emailAddress: 'ada@contoso.test', ownerId: 'u-ada' },
        })
        .then([provisioned]);
      expect(mailboxOf(state)).toMatchObject({
        emailAddressStatus: 'PendingApproval',
        incomingEmailStatus: 'NotRun',
        mailboxStatus: 'NotRun',
        enabledForIncomingEmail: false,
        testPending: false,
        credentials: null,
      });
    });

    it('without an address the status is Empty', () => {
      spec
        .given([])
        .when({
          ...meta,
          type: 'ProvisionMailbox',
          kind: 'Queue',
          settings: { name: 'Support', ownerId: 'team-1', emailAddress: '  ' },
        })
        .then([
          {
            type: 'MailboxProvisioned',
            data: {
              mailboxId,
              kind: 'Queue',
              settings: { ...settings, name: 'Support', ownerId: 'team-1', emailAddress: null },
              emailAddressStatus: 'Empty',
            },
          },
        ]);
    });

    it('validates kind, name, owner, address, methods and unknown fields', () => {
      spec
        .given([])
        .when({
          ...meta,
          type: 'ProvisionMailbox',
          kind: 'Room' as never,
          settings: { name: 'x', ownerId: 'o' },
        })
        .thenThrows('validation', [{ field: 'kind', rule: 'enum' }]);
      spec
        .given([])
        .when({
          ...meta,
          type: 'ProvisionMailbox',
          kind: 'User',
          settings: {
            name: '',
            emailAddress: 'not-an-address',
            incomingEmailDeliveryMethod: 'Pop3' as never,
            syncOnlyFromThisOrg: 'y' as never,
          },
        })
        .thenThrows('validation', [
          { field: 'name', rule: 'minLength' },
          { field: 'ownerId', rule: 'required' },
          { field: 'emailAddress', rule: 'email' },
          { field: 'incomingEmailDeliveryMethod', rule: 'enum' },
          { field: 'syncOnlyFromThisOrg', rule: 'type' },
        ]);
      spec
        .given([])
        .when({
          ...meta,
          type: 'ProvisionMailbox',
          kind: 'User',
          settings: { name: 'x', ownerId: 'o', credentials: {} } as never,
        })
        .thenThrows('validation', [{ field: 'credentials', rule: 'unknownField' }]);
    });

    it('checks the profile it is given', () => {
      spec
        .given([])
        .when({
          ...meta,
          type: 'ProvisionMailbox',
          kind: 'User',
          settings: { ...settings, serverProfileId: 'p-9' },
          serverProfile: { ...profile, exists: false },
        })
        .thenThrows('validation', [{ field: 'serverProfileId', rule: 'profileExists' }]);
    });

    it('refuses a second provisioning', () => {
      spec
        .given([provisioned])
        .when({ ...meta, type: 'ProvisionMailbox', kind: 'User', settings })
        .thenThrows('conflict');
    });
  });

  describe('UpdateMailbox', () => {
    it('changes only what is given; no change gives no event', () => {
      spec
        .given([provisioned])
        .when({ ...meta, type: 'UpdateMailbox', changes: { name: 'Ada King', emailAddress: undefined } })
        .then([
          { type: 'MailboxUpdated', data: { mailboxId, changes: { name: 'Ada King' }, resetAreas: [] } },
        ]);
      spec
        .given([provisioned])
        .when({ ...meta, type: 'UpdateMailbox', changes: { name: 'Ada Lovelace' } })
        .thenNothingHappened();
    });

    it('a new address needs approval again and a new test (PendingApproval; Empty when cleared)', () => {
      const state = spec
        .given([
          ...ready,
          requested(),
          {
            type: 'MailboxTestCompleted',
            data: {
              mailboxId,
              testId: 'c-1',
              attempt: 0,
              completedAt: at,
              areas: { incomingEmail: ok, outgoingEmail: ok, act: ok },
              mailboxStatus: 'Success',
              mailboxStatusReason: null,
              retry: null,
              retriesExhausted: false,
            },
          },
        ])
        .when({ ...meta, type: 'UpdateMailbox', changes: { emailAddress: 'ada.king@contoso.test' } })
        .then([
          {
            type: 'MailboxUpdated',
            data: {
              mailboxId,
              changes: { emailAddress: 'ada.king@contoso.test' },
              emailAddressStatus: 'PendingApproval',
              resetAreas: [...MAILBOX_AREAS],
            },
          },
        ]);
      expect(mailboxOf(state)).toMatchObject({
        emailAddressStatus: 'PendingApproval',
        mailboxStatus: 'NotRun',
        enabledForIncomingEmail: false,
        incomingEmailStatus: 'NotRun',
      });
      spec
        .given(ready)
        .when({ ...meta, type: 'UpdateMailbox', changes: { emailAddress: null } })
        .then([
          {
            type: 'MailboxUpdated',
            data: {
              mailboxId,
              changes: { emailAddress: null },
              emailAddressStatus: 'Empty',
              resetAreas: [...MAILBOX_AREAS],
            },
          },
        ]);
    });

    it('a change of case only keeps the approval', () => {
      spec
        .given(ready)
        .when({ ...meta, type: 'UpdateMailbox', changes: { emailAddress: 'Ada@Contoso.test' } })
        .then([
          {
            type: 'MailboxUpdated',
            data: { mailboxId, changes: { emailAddress: 'Ada@Contoso.test' }, resetAreas: [] },
          },
        ]);
    });

    it('a changed delivery method resets only its area; "sync from this org only" resets ACT (M-8)', () => {
      spec
        .given(ready)
        .when({
          ...meta,
          type: 'UpdateMailbox',
          changes: { outgoingEmailDeliveryMethod: 'Outlook', syncOnlyFromThisOrg: true },
        })
        .then([
          {
            type: 'MailboxUpdated',
            data: {
              mailboxId,
              changes: { outgoingEmailDeliveryMethod: 'Outlook', syncOnlyFromThisOrg: true },
              resetAreas: ['outgoingEmail', 'act'],
            },
          },
        ]);
    });

    it('refuses unknown and read-only fields, an inactive profile, a deactivated or unknown mailbox', () => {
      spec
        .given(ready)
        .when({
          ...meta,
          type: 'UpdateMailbox',
          changes: { emailAddressStatus: 'Approved', kind: 'Queue' } as never,
        })
        .thenThrows('validation', [
          { field: 'emailAddressStatus', rule: 'unknownField' },
          { field: 'kind', rule: 'unknownField' },
        ]);
      spec
        .given(ready)
        .when({
          ...meta,
          type: 'UpdateMailbox',
          changes: { serverProfileId: 'p-2' },
          serverProfile: { ...profile, active: false },
        })
        .thenThrows('validation', [{ field: 'serverProfileId', rule: 'profileActive' }]);
      spec
        .given([...ready, { type: 'MailboxDeactivated', data: { mailboxId } }])
        .when({ ...meta, type: 'UpdateMailbox', changes: { name: 'x' } })
        .thenThrows('gone');
      spec
        .given([])
        .when({ ...meta, type: 'UpdateMailbox', changes: { name: 'x' } })
        .thenThrows('not-found');
    });
  });

  describe('BulkEditMailbox (M-4)', () => {
    it('sets the profile and the three methods', () => {
      spec
        .given([provisioned])
        .when({ ...meta, type: 'BulkEditMailbox', changes: sss, serverProfile: profile })
        .then([configured]);
    });

    it('refuses anything else', () => {
      spec
        .given([provisioned])
        .when({ ...meta, type: 'BulkEditMailbox', changes: { name: 'x' } as never })
        .thenThrows('validation', [{ field: 'name', rule: 'unknownField' }]);
    });
  });

  describe('ApproveEmail / RejectEmail (M-5)', () => {
    it('approves once, rejects once', () => {
      spec
        .given([provisioned])
        .when({ ...meta, type: 'ApproveEmail' })
        .then([approved]);
      spec
        .given([provisioned, approved])
        .when({ ...meta, type: 'ApproveEmail' })
        .thenNothingHappened();
      const state = spec
        .given([provisioned, approved])
        .when({ ...meta, type: 'RejectEmail' })
        .then([{ type: 'MailboxEmailRejected', data: { mailboxId, emailAddress: 'ada@contoso.test' } }]);
      expect(mailboxOf(state).emailAddressStatus).toBe('Rejected');
    });

    it('needs an address', () => {
      const noAddress: MailboxEvent = {
        type: 'MailboxProvisioned',
        data: {
          mailboxId,
          kind: 'User',
          settings: { ...settings, emailAddress: null },
          emailAddressStatus: 'Empty',
        },
      };
      spec
        .given([noAddress])
        .when({ ...meta, type: 'ApproveEmail' })
        .thenThrows('validation', [{ field: 'emailAddress', rule: 'required' }]);
    });
  });

  describe('SetMailboxCredentials', () => {
    const credentials = { userName: ' ada ', password: sealed('pw') };
    it('stores sealed credentials when the profile uses user/queue credentials, and resets the test', () => {
      spec
        .given(ready)
        .when({
          ...meta,
          type: 'SetMailboxCredentials',
          credentials,
          profileAuthenticateUsing: 'CredentialsSpecifiedByUserOrQueue',
        })
        .then([
          {
            type: 'MailboxCredentialsSet',
            data: {
              mailboxId,
              credentials: { userName: 'ada', password: sealed('pw') },
              resetAreas: [...MAILBOX_AREAS],
            },
          },
        ]);
    });

    it('refuses a clear password as bad input, before asking whether the mailbox can use credentials', () => {
      spec
        .given(ready)
        .when({
          ...meta,
          type: 'SetMailboxCredentials',
          credentials: { userName: 'ada', password: 'clear' as SealedSecret },
          profileAuthenticateUsing: 'WindowsIntegratedAuthentication',
        })
        .thenThrows('validation', [{ field: 'credentials.password', rule: 'sealed' }]);
    });

    it("refuses good credentials as a conflict while the mailbox's profile authenticates otherwise", () => {
      spec
        .given(ready)
        .when({
          ...meta,
          type: 'SetMailboxCredentials',
          credentials,
          profileAuthenticateUsing: 'WindowsIntegratedAuthentication',
        })
        .thenThrows('conflict', [{ field: 'credentials', rule: 'onlyWithUserOrQueueCredentials' }]);
    });

    it('the same credentials again, or clearing none, change nothing', () => {
      const set: MailboxEvent = {
        type: 'MailboxCredentialsSet',
        data: {
          mailboxId,
          credentials: { userName: 'ada', password: sealed('pw') },
          resetAreas: [...MAILBOX_AREAS],
        },
      };
      spec
        .given([...ready, set])
        .when({
          ...meta,
          type: 'SetMailboxCredentials',
          credentials,
          profileAuthenticateUsing: 'CredentialsSpecifiedByUserOrQueue',
        })
        .thenNothingHappened();
      spec
        .given(ready)
        .when({ ...meta, type: 'SetMailboxCredentials', credentials: null, profileAuthenticateUsing: null })
        .thenNothingHappened();
      spec
        .given([...ready, set])
        .when({ ...meta, type: 'SetMailboxCredentials', credentials: null, profileAuthenticateUsing: null })
        .then([
          {
            type: 'MailboxCredentialsSet',
            data: { mailboxId, credentials: null, resetAreas: [...MAILBOX_AREAS] },
          },
        ]);
    });
  });

  describe('RequestTest — Test & Enable (M-6)', () => {
    it('records the request; statuses keep their last outcome while the test is pending', () => {
      const state = spec.given(ready).when(requestTest()).then([requested()]);
      expect(mailboxOf(state)).toMatchObject({
        testPending: true,
        testId: 'c-1',
        testRequestedAt: at,
        testAttempt: 0,
        mailboxStatus: 'NotRun',
      });
    });

    it('tests only the areas that use server-side sync', () => {
      spec
        .given([
          ...ready,
          {
            type: 'MailboxUpdated',
            data: { mailboxId, changes: { actDeliveryMethod: 'Outlook' }, resetAreas: ['act'] },
          },
        ])
        .when(requestTest())
        .then([requested('c-1', ['incomingEmail', 'outgoingEmail'])]);
    });

    it('a mailbox with only ACT on server-side sync: the test completes at once, ACT not run, nothing enabled', () => {
      const state = spec
        .given([
          ...ready,
          {
            type: 'MailboxUpdated',
            data: {
              mailboxId,
              changes: { incomingEmailDeliveryMethod: 'None', outgoingEmailDeliveryMethod: 'None' },
              resetAreas: ['incomingEmail', 'outgoingEmail'],
            },
          },
        ])
        .when(requestTest())
        .then([
          requested('c-1', []),
          {
            type: 'MailboxTestCompleted',
            data: {
              mailboxId,
              testId: 'c-1',
              attempt: 0,
              completedAt: at,
              areas: { act: actNotRun },
              mailboxStatus: 'NotRun',
              mailboxStatusReason: null,
              retry: null,
              retriesExhausted: false,
            },
          },
        ]);
      expect(mailboxOf(state)).toMatchObject({
        testPending: false,
        enabledForAct: false,
        actStatus: 'NotRun',
      });
    });

    it('refuses a mailbox with nothing to test, and is idempotent per request', () => {
      spec
        .given([provisioned])
        .when(requestTest())
        .thenThrows('validation', [{ field: 'deliveryMethods', rule: 'serverSideSyncRequired' }]);
      spec
        .given([...ready, requested()])
        .when(requestTest())
        .thenNothingHappened();
    });

    const failsAtOnce = (reason: string): MailboxEvent[] => [
      requested(),
      {
        type: 'MailboxTestCompleted',
        data: {
          mailboxId,
          testId: 'c-1',
          attempt: 0,
          completedAt: at,
          areas: {
            act: actNotRun,
            incomingEmail: permanent(reason),
            outgoingEmail: permanent(reason),
          },
          mailboxStatus: 'Failure',
          mailboxStatusReason: reason,
          retry: null,
          retriesExhausted: false,
        },
      },
    ];

    it('an unapproved address fails the test at once where approval is required (seed, O-3)', () => {
      const state = spec
        .given([provisioned, configured])
        .when(requestTest())
        .then(failsAtOnce(PREFLIGHT_FAILURES.EmailAddressNotApproved));
      expect(mailboxOf(state)).toMatchObject({
        testPending: false,
        mailboxStatus: 'Failure',
        incomingEmailStatus: 'Failure',
        enabledForIncomingEmail: false,
      });
      spec
        .given([provisioned, configured])
        .when(requestTest({ approvalRequired: false }))
        .then([requested()]);
    });

    it('fails at once without a profile, with a deactivated profile, or without needed credentials', () => {
      const noProfile: MailboxEvent = {
        type: 'MailboxUpdated',
        data: { mailboxId, changes: { serverProfileId: null }, resetAreas: [...MAILBOX_AREAS] },
      };
      spec
        .given([...ready, noProfile])
        .when(requestTest())
        .then(failsAtOnce(PREFLIGHT_FAILURES.NoServerProfile));
      spec
        .given(ready)
        .when(requestTest({ serverProfile: { ...profile, active: false } }))
        .then(failsAtOnce(PREFLIGHT_FAILURES.ServerProfileInactive));
      spec
        .given(ready)
        .when(requestTest({ serverProfile: userCredsProfile }))
        .then(failsAtOnce(PREFLIGHT_FAILURES.CredentialsMissing));
    });
  });

  describe('RecordTestResult (M-6, S-6)', () => {
    const pending = [...ready, requested()];

    it('success enables every tested area; ACT, not synchronized by this version, is reported not run', () => {
      const state = spec
        .given(pending)
        .when(
          result({
            incomingEmail: { outcome: 'Success' },
            outgoingEmail: { outcome: 'Success' },
          }),
        )
        .then([
          {
            type: 'MailboxTestCompleted',
            data: {
              mailboxId,
              testId: 'c-1',
              attempt: 0,
              completedAt: '2026-02-01T09:01:00.000Z',
              areas: { act: actNotRun, incomingEmail: ok, outgoingEmail: ok },
              mailboxStatus: 'Success',
              mailboxStatusReason: null,
              retry: null,
              retriesExhausted: false,
            },
          },
        ]);
      expect(mailboxOf(state)).toMatchObject({
        enabledForIncomingEmail: true,
        enabledForOutgoingEmail: true,
        enabledForAct: false,
        actStatus: 'NotRun',
        actStatusReason: ACT_NOT_SYNCHRONIZED,
        mailboxStatus: 'Success',
        testPending: false,
      });
    });

    it('a test an earlier version requested with ACT: ACT is reported not run, whatever its worker found', () => {
      const state = spec
        .given([...ready, requested('c-1', [...MAILBOX_AREAS])])
        .when(
          result({
            incomingEmail: { outcome: 'Success' },
            outgoingEmail: { outcome: 'Success' },
            act: { outcome: 'Success' },
          }),
        )
        .thenEvents(([event]) =>
          expect(event).toMatchObject({ data: { areas: { act: actNotRun }, mailboxStatus: 'Success' } }),
        );
      expect(mailboxOf(state)).toMatchObject({
        enabledForAct: false,
        actStatus: 'NotRun',
        testPending: false,
      });
      // Its new worker reports no ACT result at all.
      spec
        .given([...ready, requested('c-1', [...MAILBOX_AREAS])])
        .when(result({ incomingEmail: { outcome: 'Success' }, outgoingEmail: { outcome: 'Success' } }))
        .thenEvents(([event]) => expect(event).toMatchObject({ data: { areas: { act: actNotRun } } }));
    });

    it('a permanent failure disables that area at once; the overall status fails with its reason', () => {
      const state = spec
        .given(pending)
        .when(
          result({
            incomingEmail: { outcome: 'Success' },
            outgoingEmail: { outcome: 'Failure', reason: 'ErrorAccessDenied', errorClass: 'Permanent' },
            act: { outcome: 'Success' },
          }),
        )
        .thenEvents(() => undefined);
      expect(mailboxOf(state)).toMatchObject({
        enabledForIncomingEmail: true,
        enabledForOutgoingEmail: false,
        outgoingEmailStatus: 'Failure',
        outgoingEmailStatusReason: 'ErrorAccessDenied',
        mailboxStatus: 'Failure',
        mailboxStatusReason: 'ErrorAccessDenied',
        testPending: false,
      });
    });

    it('a transient failure schedules a retry of the failing area 5 minutes later', () => {
      const state = spec
        .given(pending)
        .when(
          result({
            incomingEmail: transient,
            outgoingEmail: { outcome: 'Success' },
            act: { outcome: 'Success' },
          }),
        )
        .thenEvents(([event]) => {
          expect(event).toMatchObject({
            type: 'MailboxTestCompleted',
            data: {
              retry: { attempt: 1, nextAttemptAt: '2026-02-01T09:06:00.000Z', areas: ['incomingEmail'] },
              retriesExhausted: false,
            },
          });
        });
      expect(mailboxOf(state)).toMatchObject({
        testPending: true,
        testAttempt: 1,
        testAreas: ['incomingEmail'],
        nextTestAttemptAt: '2026-02-01T09:06:00.000Z',
        incomingEmailStatus: 'Failure',
        enabledForOutgoingEmail: true,
      });
    });

    it('after 10 transient retries the failure counts as permanent and disables', () => {
      let events: MailboxEvent[] = [...ready, requested()];
      let state: MailboxState = events.reduce(mailboxDecider.evolve, mailboxDecider.initialState());
      for (let attempt = 0; attempt <= TEST_RETRY_POLICY.maxTransientRetries; attempt++) {
        const results =
          attempt === 0
            ? {
                incomingEmail: transient,
                outgoingEmail: { outcome: 'Success' as const },
                act: { outcome: 'Success' as const },
              }
            : { incomingEmail: transient };
        const next = mailboxDecider.decide(result(results, attempt), state);
        events = [...events, ...next];
        state = next.reduce(mailboxDecider.evolve, state);
      }
      const last = events[events.length - 1];
      expect(last).toMatchObject({
        type: 'MailboxTestCompleted',
        data: { attempt: 10, retry: null, retriesExhausted: true },
      });
      expect(mailboxOf(state)).toMatchObject({
        testPending: false,
        enabledForIncomingEmail: false,
        incomingEmailStatus: 'Failure',
        enabledForAct: false,
      });
    });

    it('the policy can be passed in', () => {
      spec
        .given(pending)
        .when({
          ...result({ incomingEmail: transient, outgoingEmail: transient, act: transient }),
          policy: { maxTransientRetries: 0, retryDelayMinutes: 1 },
        } as MailboxCommand)
        .thenEvents(([event]) =>
          expect(event).toMatchObject({
            data: { retry: null, retriesExhausted: true, mailboxStatus: 'Failure' },
          }),
        );
    });

    it('ignores a repeated, stale or late result', () => {
      const done: MailboxEvent[] = [];
      spec
        .given(pending)
        .when(
          result({
            incomingEmail: { outcome: 'Success' },
            outgoingEmail: { outcome: 'Success' },
            act: { outcome: 'Success' },
          }),
        )
        .thenEvents((events) => done.push(...events));
      spec
        .given([...pending, ...done])
        .when(result({ incomingEmail: { outcome: 'Success' } }))
        .thenNothingHappened();
      spec
        .given(pending)
        .when(result({ incomingEmail: { outcome: 'Success' } }, 3))
        .thenNothingHappened();
      spec
        .given([...pending, { type: 'MailboxDeactivated', data: { mailboxId } }])
        .when(result({ incomingEmail: { outcome: 'Success' } }))
        .thenNothingHappened();
      // a configuration change drops the pending test
      spec
        .given([
          ...pending,
          {
            type: 'MailboxUpdated',
            data: { mailboxId, changes: { serverProfileId: 'p-2' }, resetAreas: [...MAILBOX_AREAS] },
          },
        ])
        .when(
          result({
            incomingEmail: { outcome: 'Success' },
            outgoingEmail: { outcome: 'Success' },
            act: { outcome: 'Success' },
          }),
        )
        .thenNothingHappened();
    });

    it('needs a result for every tested area and none for others', () => {
      spec
        .given([...ready, requested('c-1', ['incomingEmail'])])
        .when(
          result({
            outgoingEmail: { outcome: 'Success' },
            incomingEmail: { outcome: 'Failure', reason: '', errorClass: 'Sometimes' as never },
          }),
        )
        .thenThrows('validation', [
          { field: 'results.outgoingEmail', rule: 'notTested' },
          { field: 'results.incomingEmail.reason', rule: 'minLength' },
          { field: 'results.incomingEmail.errorClass', rule: 'enum' },
        ]);
    });
  });

  describe('ApplyDefaultEmailSettings (M-3)', () => {
    const defaults = {
      defaultServerProfileId: 'p-1',
      incomingEmailDeliveryMethod: 'ServerSideSync',
      outgoingEmailDeliveryMethod: 'ServerSideSync',
      actDeliveryMethod: 'ServerSideSync',
    } as const;
    it('applies the organization defaults and requests Test & Enable', () => {
      spec
        .given([provisioned, approved])
        .when({
          ...meta,
          type: 'ApplyDefaultEmailSettings',
          defaults,
          serverProfile: profile,
          approvalRequired: true,
        })
        .then([configured, requested()]);
    });

    it('only applies them when told not to test; nothing to test with non-SSS defaults', () => {
      spec
        .given([provisioned, approved])
        .when({
          ...meta,
          type: 'ApplyDefaultEmailSettings',
          defaults,
          serverProfile: profile,
          approvalRequired: true,
          testAndEnable: false,
        })
        .then([configured]);
      spec
        .given([provisioned])
        .when({
          ...meta,
          type: 'ApplyDefaultEmailSettings',
          defaults: {
            ...defaults,
            defaultServerProfileId: null,
            incomingEmailDeliveryMethod: 'Outlook',
            outgoingEmailDeliveryMethod: 'Outlook',
            actDeliveryMethod: 'Outlook',
          },
          approvalRequired: true,
        })
        .then([
          {
            type: 'MailboxUpdated',
            data: {
              mailboxId,
              changes: {
                incomingEmailDeliveryMethod: 'Outlook',
                outgoingEmailDeliveryMethod: 'Outlook',
                actDeliveryMethod: 'Outlook',
              },
              resetAreas: [...MAILBOX_AREAS],
            },
          },
        ]);
    });

    it('re-tests a mailbox that already has the defaults', () => {
      spec
        .given(ready)
        .when({
          ...meta,
          type: 'ApplyDefaultEmailSettings',
          defaults,
          serverProfile: profile,
          approvalRequired: false,
        })
        .then([requested()]);
    });
  });

  describe('ReassignProfile (P-14)', () => {
    const reassign = (
      extra: Partial<Extract<MailboxCommand, { type: 'ReassignProfile' }>> = {},
    ): MailboxCommand => ({
      ...meta,
      type: 'ReassignProfile',
      fromProfileId: 'p-1',
      toProfileId: 'p-2',
      toProfile: profile,
      approvalRequired: true,
      ...extra,
    });
    const moved: MailboxEvent = {
      type: 'MailboxProfileReassigned',
      data: { mailboxId, fromProfileId: 'p-1', toProfileId: 'p-2', resetAreas: [...MAILBOX_AREAS] },
    };

    it('moves the mailbox and tests it on the new profile', () => {
      const state = spec.given(ready).when(reassign()).then([moved, requested()]);
      expect(mailboxOf(state).serverProfileId).toBe('p-2');
      spec
        .given(ready)
        .when(reassign({ testAndEnable: false }))
        .then([moved]);
    });

    it('a mailbox no longer on the old profile, or deactivated, is left alone', () => {
      spec
        .given([...ready, moved])
        .when(reassign())
        .thenNothingHappened();
      spec
        .given([...ready, { type: 'MailboxDeactivated', data: { mailboxId } }])
        .when(reassign())
        .thenNothingHappened();
    });

    it('refuses an unusable target', () => {
      spec
        .given(ready)
        .when(reassign({ toProfileId: 'p-1' }))
        .thenThrows('validation', [{ field: 'toProfileId', rule: 'otherProfile' }]);
      spec
        .given(ready)
        .when(reassign({ toProfile: { ...profile, active: false } }))
        .thenThrows('validation', [{ field: 'toProfileId', rule: 'profileActive' }]);
    });
  });

  describe('DeactivateMailbox', () => {
    it('disables the mailbox, once', () => {
      const state = spec
        .given([...ready, requested()])
        .when({ ...meta, type: 'DeactivateMailbox' })
        .then([{ type: 'MailboxDeactivated', data: { mailboxId } }]);
      expect(state.status).toBe('Inactive');
      expect(mailboxOf(state)).toMatchObject({ enabledForIncomingEmail: false, testPending: false });
      spec
        .given([...ready, { type: 'MailboxDeactivated', data: { mailboxId } }])
        .when({ ...meta, type: 'DeactivateMailbox' })
        .thenNothingHappened();
      spec
        .given([])
        .when({ ...meta, type: 'DeactivateMailbox' })
        .thenThrows('not-found');
    });
  });

  it('replaying the stored (JSON) events rebuilds the same state', () => {
    const log: MailboxEvent[] = [];
    let state = mailboxDecider.initialState();
    const commands: MailboxCommand[] = [
      { ...meta, type: 'ProvisionMailbox', kind: 'User', settings },
      {
        ...meta,
        type: 'ApplyDefaultEmailSettings',
        defaults: {
          defaultServerProfileId: 'p-1',
          incomingEmailDeliveryMethod: 'ServerSideSync',
          outgoingEmailDeliveryMethod: 'ServerSideSync',
          actDeliveryMethod: 'ServerSideSync',
        },
        serverProfile: profile,
        approvalRequired: false,
      },
      result({
        incomingEmail: transient,
        outgoingEmail: { outcome: 'Success' },
        act: { outcome: 'Success' },
      }),
      { ...meta, type: 'ApproveEmail' },
      result({ incomingEmail: { outcome: 'Success' } }, 1),
      { ...meta, type: 'UpdateMailbox', changes: { emailAddress: 'ada2@contoso.test', name: undefined } },
      { ...meta, type: 'DeactivateMailbox' },
    ];
    for (const command of commands) {
      const events = mailboxDecider.decide(command, state);
      state = events.reduce(mailboxDecider.evolve, state);
      log.push(...events);
      const stored = JSON.parse(JSON.stringify(log)) as MailboxEvent[];
      expect(stored.reduce(mailboxDecider.evolve, mailboxDecider.initialState())).toEqual(state);
    }
    expect(log.map((e) => e.type)).toEqual([
      'MailboxProvisioned',
      'MailboxUpdated',
      'TestRequested',
      'MailboxTestCompleted',
      'MailboxEmailApproved',
      'MailboxTestCompleted',
      'MailboxUpdated',
      'MailboxDeactivated',
    ]);
  });
});
