import { DeciderSpecification } from '../shared/decider-spec';
import { ActivityCommand } from './commands';
import { ActivityState, activityDecider, activityResultState } from './decider';
import { ActivityEvent } from './events';
import { incomingEmailActivityId } from './ids';
import { ACTIVITY_LIMITS, SEND_RETRY_POLICY } from './types';

const spec = DeciderSpecification.for(activityDecider);
const at = '2026-03-01T10:00:00.000Z';
const meta = { commandId: 'c-1', actor: 'sync-worker', issuedAt: at };
const mailboxId = 'mbx-1';
const activityId = incomingEmailActivityId(mailboxId, '<m1@contoso.test>', 'AAMk-1');

const track = (extra: Partial<Extract<ActivityCommand, { type: 'TrackIncomingEmail' }>> = {}) =>
  ({
    ...meta,
    type: 'TrackIncomingEmail',
    activityId,
    mailboxId,
    exchangeItemId: 'AAMk-1',
    internetMessageId: '<m1@contoso.test>',
    subject: 'Quarterly numbers',
    from: 'bob@fabrikam.test',
    to: ['ada@contoso.test'],
    cc: [],
    body: '<p>Hi</p>',
    bodyType: 'HTML',
    receivedAt: '2026-03-01T10:59:00+01:00',
    ...extra,
  }) as ActivityCommand;

const tracked: ActivityEvent = {
  type: 'IncomingEmailTracked',
  data: {
    activityId,
    mailboxId,
    exchangeItemId: 'AAMk-1',
    internetMessageId: '<m1@contoso.test>',
    subject: 'Quarterly numbers',
    from: 'bob@fabrikam.test',
    to: ['ada@contoso.test'],
    cc: [],
    body: '<p>Hi</p>',
    bodyType: 'HTML',
    receivedAt: '2026-03-01T09:59:00.000Z',
    sentAt: null,
    trackedAt: at,
  },
};

const outcome = (o: string, reason = 'r', extra: Record<string, unknown> = {}) =>
  ({
    ...meta,
    type: 'RecordMessageOutcome',
    activityId,
    mailboxId,
    exchangeItemId: 'AAMk-1',
    internetMessageId: '<m1@contoso.test>',
    outcome: o,
    reason,
    ...extra,
  }) as ActivityCommand;

const outId = 'act-out-1';
const queue = (extra: Record<string, unknown> = {}) =>
  ({
    ...meta,
    type: 'QueueOutgoingEmail',
    activityId: outId,
    mailboxId,
    from: 'ada@contoso.test',
    to: ['bob@fabrikam.test'],
    cc: [],
    subject: 'Offer',
    body: 'Dear Bob',
    bodyType: 'Text',
    ...extra,
  }) as ActivityCommand;
const queued: ActivityEvent = {
  type: 'OutgoingEmailQueued',
  data: {
    activityId: outId,
    mailboxId,
    from: 'ada@contoso.test',
    to: ['bob@fabrikam.test'],
    cc: [],
    subject: 'Offer',
    body: 'Dear Bob',
    bodyType: 'Text',
    queuedAt: at,
  },
};
const sendOutcome = (
  attempt: number,
  o: Extract<ActivityCommand, { type: 'RecordSendOutcome' }>['outcome'],
  issuedAt = at,
): ActivityCommand => ({
  ...meta,
  issuedAt,
  type: 'RecordSendOutcome',
  activityId: outId,
  attempt,
  outcome: o,
});
const transient = { kind: 'Failed', reason: 'ErrorServerBusy', transient: true } as const;
const failedEvent = (
  attempt: number,
  nextAttemptAt: string | null,
  retriesExhausted = false,
): ActivityEvent => ({
  type: 'OutgoingEmailSendFailed',
  data: {
    activityId: outId,
    attempt,
    reason: 'ErrorServerBusy',
    transient: true,
    failedAt: at,
    nextAttemptAt,
    retriesExhausted,
  },
});

const outgoing = (s: ActivityState) => {
  if (s.kind !== 'Outgoing') throw new Error(`not outgoing: ${s.kind}`);
  return s.email;
};

describe('activity decider (S-1…S-3, B-1)', () => {
  describe('incoming email', () => {
    it('derives the same activity id for the same message, another for another mailbox or message', () => {
      expect(incomingEmailActivityId(mailboxId, ' <m1@contoso.test> ', 'other-item')).toBe(activityId);
      expect(incomingEmailActivityId('mbx-2', '<m1@contoso.test>', 'AAMk-1')).not.toBe(activityId);
      expect(incomingEmailActivityId(mailboxId, null, 'AAMk-1')).not.toBe(activityId);
      expect(incomingEmailActivityId(mailboxId, '', 'AAMk-1')).toBe(
        incomingEmailActivityId(mailboxId, null, 'AAMk-1'),
      );
      expect(activityId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('tracks a message once, with times in UTC', () => {
      const state = spec.given([]).when(track()).then([tracked]);
      expect(state).toMatchObject({ kind: 'Incoming', email: { status: 'Tracked', direction: 'Incoming' } });
    });

    it('tracking the same message again is a duplicate: no event (exactly once)', () => {
      spec.given([tracked]).when(track()).thenNothingHappened();
      spec
        .given([tracked])
        .when(track({ commandId: 'c-2', subject: 'changed', exchangeItemId: 'AAMk-moved' }))
        .thenNothingHappened();
    });

    it('refuses what an activity cannot hold, naming the fields', () => {
      spec
        .given([])
        .when(
          track({
            subject: 'x'.repeat(ACTIVITY_LIMITS.subject + 1),
            body: 'y'.repeat(ACTIVITY_LIMITS.body + 1),
            bodyType: 'RTF' as never,
            receivedAt: 'yesterday',
            from: '',
          }),
        )
        .thenThrows('validation', [
          { field: 'subject', rule: 'maxLength' },
          { field: 'body', rule: 'maxLength' },
          { field: 'bodyType', rule: 'enum' },
          { field: 'receivedAt', rule: 'isoDateTime' },
        ]);
      const many = Array.from({ length: ACTIVITY_LIMITS.recipients + 1 }, (_, i) => `u${i}@c.test`);
      spec
        .given([])
        .when(track({ to: many }))
        .thenThrows('validation', [{ field: 'to', rule: 'maxItems' }]);
      // At the limits it is tracked; an empty subject and an X.500 sender are fine for incoming mail.
      spec
        .given([])
        .when(
          track({
            subject: '',
            body: 'y'.repeat(ACTIVITY_LIMITS.body),
            from: '/O=CONTOSO/OU=EXCHANGE ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=BOB',
          }),
        )
        .thenEvents((events) => expect(events.map((e) => e.type)).toEqual(['IncomingEmailTracked']));
    });

    it('an id of an outgoing email cannot be tracked, nor a message of another mailbox', () => {
      spec
        .given([queued])
        .when(track({ activityId: outId }))
        .thenThrows('conflict');
      const seen: ActivityEvent = {
        type: 'MessageOutcomeRecorded',
        data: {
          activityId,
          mailboxId: 'mbx-2',
          exchangeItemId: 'AAMk-1',
          internetMessageId: null,
          outcome: 'Throttled',
          reason: 'r',
          at,
        },
      };
      spec.given([seen]).when(track()).thenThrows('conflict');
    });
  });

  describe('tracking ledger (B-1)', () => {
    const throttled: ActivityEvent = {
      type: 'MessageOutcomeRecorded',
      data: {
        activityId,
        mailboxId,
        exchangeItemId: 'AAMk-1',
        internetMessageId: '<m1@contoso.test>',
        outcome: 'Throttled',
        reason: 'ErrorServerBusy',
        at,
      },
    };

    it('records one event per outcome, and nothing for the same outcome again', () => {
      spec.given([]).when(outcome('Throttled', 'ErrorServerBusy')).then([throttled]);
      spec.given([throttled]).when(outcome('Throttled', 'ErrorServerBusy')).thenNothingHappened();
      spec
        .given([throttled])
        .when(outcome('Failed', 'body too large'))
        .thenEvents((events) =>
          expect(events).toEqual([
            {
              type: 'MessageOutcomeRecorded',
              data: { ...throttled.data, outcome: 'Failed', reason: 'body too large' },
            },
          ]),
        );
    });

    it('a message throttled first is tracked later', () => {
      spec.given([throttled]).when(track()).then([tracked]);
    });

    it('a tracked message can only be recorded as a duplicate, once in a row', () => {
      const dup = outcome('Duplicate', 'seen again after a re-sync');
      spec
        .given([tracked])
        .when(dup)
        .thenEvents((events) => expect(events[0]).toMatchObject({ data: { outcome: 'Duplicate' } }));
      const recorded = spec
        .given([tracked])
        .when(dup)
        .thenEvents(() => undefined);
      expect(recorded).toMatchObject({ kind: 'Incoming', lastOutcome: 'Duplicate' });
      spec
        .given([
          tracked,
          {
            type: 'MessageOutcomeRecorded',
            data: { ...throttled.data, outcome: 'Duplicate', reason: 'seen again after a re-sync' },
          },
        ])
        .when(dup)
        .thenNothingHappened();
      spec.given([tracked]).when(outcome('Failed')).thenThrows('conflict');
    });

    it('validates the outcome and reason', () => {
      spec
        .given([])
        .when(outcome('Lost', ''))
        .thenThrows('validation', [
          { field: 'outcome', rule: 'enum' },
          { field: 'reason', rule: 'minLength' },
        ]);
    });
  });

  describe('outgoing email', () => {
    it('queues an email as PendingSend; the same request again is a no-op', () => {
      const state = spec.given([]).when(queue()).then([queued]);
      expect(outgoing(state)).toMatchObject({ status: 'PendingSend', attempts: 0, nextAttemptAt: null });
      spec.given([queued]).when(queue()).thenNothingHappened();
      spec
        .given([queued])
        .when(queue({ subject: 'Other' }))
        .thenThrows('conflict');
    });

    it('validates recipients (SMTP), lengths and body type', () => {
      spec
        .given([])
        .when(queue({ to: [], cc: ['not-an-address'], subject: 's'.repeat(401), bodyType: 'Rtf' }))
        .thenThrows('validation', [
          { field: 'to', rule: 'minItems' },
          { field: 'cc[0]', rule: 'email' },
          { field: 'subject', rule: 'maxLength' },
          { field: 'bodyType', rule: 'enum' },
        ]);
    });

    it('records a sent email once; late and repeated outcomes change nothing', () => {
      const sent = {
        kind: 'Sent',
        exchangeItemId: 'AAMk-s',
        internetMessageId: '<s@c>',
        sentAt: at,
      } as const;
      const sentEvent: ActivityEvent = {
        type: 'OutgoingEmailSent',
        data: {
          activityId: outId,
          attempt: 1,
          exchangeItemId: 'AAMk-s',
          internetMessageId: '<s@c>',
          sentAt: at,
        },
      };
      const state = spec.given([queued]).when(sendOutcome(1, sent)).then([sentEvent]);
      expect(outgoing(state)).toMatchObject({ status: 'Sent', attempts: 1, exchangeItemId: 'AAMk-s' });
      spec.given([queued, sentEvent]).when(sendOutcome(1, sent)).thenNothingHappened();
      spec.given([queued, sentEvent]).when(sendOutcome(2, transient)).thenNothingHappened();
      spec
        .given([queued])
        .when(sendOutcome(3, sent))
        .thenThrows('validation', [{ field: 'attempt', rule: 'sequence' }]);
    });

    it('retries transient failures 5 minutes apart, 10 times, then fails', () => {
      const state = spec
        .given([queued])
        .when(sendOutcome(1, transient))
        .then([failedEvent(1, '2026-03-01T10:05:00.000Z')]);
      expect(outgoing(state)).toMatchObject({
        status: 'PendingSend',
        attempts: 1,
        nextAttemptAt: '2026-03-01T10:05:00.000Z',
        failureReason: 'ErrorServerBusy',
      });
      // Attempts 2…11 are the 10 retries: the 11th attempt's transient failure is final.
      const history: ActivityEvent[] = [queued];
      for (let a = 1; a <= SEND_RETRY_POLICY.maxTransientRetries; a++)
        history.push(failedEvent(a, '2026-03-01T10:05:00.000Z'));
      spec
        .given(history.slice(0, -1))
        .when(sendOutcome(SEND_RETRY_POLICY.maxTransientRetries, transient))
        .then([failedEvent(10, '2026-03-01T10:05:00.000Z')]);
      const final = spec
        .given(history)
        .when(sendOutcome(11, transient))
        .then([failedEvent(11, null, true)]);
      expect(outgoing(final)).toMatchObject({ status: 'Failed', attempts: 11, nextAttemptAt: null });
      spec
        .given([...history, failedEvent(11, null, true)])
        .when(sendOutcome(12, transient))
        .thenNothingHappened();
    });

    it('a permanent failure fails the email at once', () => {
      const state = spec
        .given([queued])
        .when(sendOutcome(1, { kind: 'Failed', reason: 'ErrorInvalidRecipients', transient: false }))
        .then([
          {
            type: 'OutgoingEmailSendFailed',
            data: {
              activityId: outId,
              attempt: 1,
              reason: 'ErrorInvalidRecipients',
              transient: false,
              failedAt: at,
              nextAttemptAt: null,
              retriesExhausted: false,
            },
          },
        ]);
      expect(outgoing(state)).toMatchObject({ status: 'Failed', failureReason: 'ErrorInvalidRecipients' });
    });

    it('refuses outcomes for unknown or incoming activities and malformed outcomes', () => {
      spec.given([]).when(sendOutcome(1, transient)).thenThrows('not-found');
      spec
        .given([queued])
        .when(
          sendOutcome(1, {
            kind: 'Sent',
            exchangeItemId: 7,
            internetMessageId: 'x',
            sentAt: 'now',
          } as never),
        )
        .thenThrows('validation', [
          { field: 'outcome.exchangeItemId', rule: 'type' },
          { field: 'outcome.sentAt', rule: 'isoDateTime' },
        ]);
      // Exchange may not report the sent item's ids: still Sent, with null ids.
      spec
        .given([queued])
        .when(sendOutcome(1, { kind: 'Sent', exchangeItemId: '', internetMessageId: null, sentAt: at }))
        .then([
          {
            type: 'OutgoingEmailSent',
            data: {
              activityId: outId,
              attempt: 1,
              exchangeItemId: null,
              internetMessageId: null,
              sentAt: at,
            },
          },
        ]);
    });

    describe('send claims (exactly once across workers)', () => {
      const until = '2026-03-01T10:03:00.000Z';
      const claim = (
        attempt: number,
        claimant: string,
        claimUntil: string,
        issuedAt = at,
        extra: Record<string, unknown> = {},
      ) =>
        ({
          ...meta,
          issuedAt,
          type: 'ClaimSend',
          activityId: outId,
          attempt,
          claimant,
          claimUntil,
          ...extra,
        }) as ActivityCommand;
      const permanentFailure = (attempt: number): ActivityEvent => ({
        type: 'OutgoingEmailSendFailed',
        data: {
          activityId: outId,
          attempt,
          reason: 'ErrorServerBusy',
          transient: false,
          failedAt: at,
          nextAttemptAt: null,
          retriesExhausted: false,
        },
      });
      const claimed = (
        attempt: number,
        claimant: string,
        claimUntil = until,
        claimedAt = at,
      ): ActivityEvent => ({
        type: 'OutgoingEmailSendClaimed',
        data: { activityId: outId, attempt, claimant, claimedAt, claimUntil },
      });
      const sent = {
        kind: 'Sent',
        exchangeItemId: 'AAMk-s',
        internetMessageId: '<s@c>',
        sentAt: at,
      } as const;

      it('claims the next attempt until a time (in UTC); the email holds the claim', () => {
        const state = spec
          .given([queued])
          .when(claim(1, 'worker-a', '2026-03-01T11:03:00+01:00'))
          .then([claimed(1, 'worker-a')]);
        expect(outgoing(state).claim).toEqual({
          attempt: 1,
          claimant: 'worker-a',
          claimedAt: at,
          claimUntil: until,
        });
        expect(outgoing(state)).toMatchObject({ status: 'PendingSend', attempts: 0 });
      });

      it('refuses another claimant while the claim is live, and lets it take over once the claim lapsed', () => {
        spec
          .given([queued, claimed(1, 'worker-a')])
          .when(claim(1, 'worker-b', '2026-03-01T10:06:00.000Z', '2026-03-01T10:02:59.999Z'))
          .thenThrows('conflict', (e) => e.message.includes(`claimed by worker-a until ${until}`));
        // Live means claimUntil is after the command's issuedAt: at claimUntil itself the claim has lapsed.
        const state = spec
          .given([queued, claimed(1, 'worker-a')])
          .when(claim(1, 'worker-b', '2026-03-01T10:06:00.000Z', until))
          .then([claimed(1, 'worker-b', '2026-03-01T10:06:00.000Z', until)]);
        expect(outgoing(state).claim).toMatchObject({ claimant: 'worker-b', attempt: 1 });
      });

      it('two claimants racing for one attempt: the first decided holds it, the second is refused', () => {
        const first = spec
          .given([queued])
          .when(claim(1, 'worker-a', until))
          .then([claimed(1, 'worker-a')]);
        expect(outgoing(first).claim?.claimant).toBe('worker-a');
        spec
          .given([queued, claimed(1, 'worker-a')])
          .when(claim(1, 'worker-b', until, at, { commandId: 'c-2' }))
          .thenThrows('conflict');
      });

      it('the same claimant may claim again, to extend (or renew) its claim', () => {
        const state = spec
          .given([queued, claimed(1, 'worker-a')])
          .when(claim(1, 'worker-a', '2026-03-01T10:05:00.000Z', '2026-03-01T10:02:00.000Z'))
          .then([claimed(1, 'worker-a', '2026-03-01T10:05:00.000Z', '2026-03-01T10:02:00.000Z')]);
        expect(outgoing(state).claim?.claimUntil).toBe('2026-03-01T10:05:00.000Z');
        spec
          .given([queued, claimed(1, 'worker-a')])
          .when(claim(1, 'worker-a', '2026-03-01T10:09:00.000Z', '2026-03-01T10:07:00.000Z'))
          .then([claimed(1, 'worker-a', '2026-03-01T10:09:00.000Z', '2026-03-01T10:07:00.000Z')]);
      });

      it('refuses a claim on anything but an outgoing email waiting to be sent', () => {
        spec
          .given([])
          .when(claim(1, 'worker-a', until))
          .thenThrows('not-found');
        spec
          .given([tracked])
          .when(claim(1, 'worker-a', until, at, { activityId }))
          .thenThrows('conflict');
        const sentEvent: ActivityEvent = {
          type: 'OutgoingEmailSent',
          data: { activityId: outId, attempt: 1, exchangeItemId: null, internetMessageId: null, sentAt: at },
        };
        spec
          .given([queued, sentEvent])
          .when(claim(2, 'worker-a', until))
          .thenThrows('conflict', (e) => e.message.includes('is Sent'));
        spec
          .given([queued, permanentFailure(1)])
          .when(claim(2, 'worker-a', until))
          .thenThrows('conflict', (e) => e.message.includes('is Failed'));
      });

      it('refuses a claim for any attempt but the next', () => {
        spec
          .given([queued])
          .when(claim(2, 'worker-a', until))
          .thenThrows('validation', [{ field: 'attempt', rule: 'sequence' }]);
        // A worker behind on the email's history claims an attempt that already has an outcome.
        spec
          .given([queued, failedEvent(1, '2026-03-01T10:05:00.000Z')])
          .when(claim(1, 'worker-a', '2026-03-01T10:09:00.000Z', '2026-03-01T10:06:00.000Z'))
          .thenThrows('validation', [{ field: 'attempt', rule: 'sequence' }]);
      });

      it('refuses a claimUntil that is not after issuedAt, and malformed claims, naming the fields', () => {
        spec
          .given([queued])
          .when(claim(1, 'worker-a', at))
          .thenThrows('validation', [{ field: 'claimUntil', rule: 'after' }]);
        spec
          .given([queued])
          .when(claim(1, 'worker-a', '2026-03-01T09:59:59.000Z'))
          .thenThrows('validation', [{ field: 'claimUntil', rule: 'after' }]);
        spec
          .given([queued])
          .when(claim(0, ' ', 'soon'))
          .thenThrows('validation', [
            { field: 'attempt', rule: 'range' },
            { field: 'claimant', rule: 'minLength' },
            { field: 'claimUntil', rule: 'isoDateTime' },
          ]);
      });

      it('refuses a claim before the next attempt is due', () => {
        const history = [queued, failedEvent(1, '2026-03-01T10:05:00.000Z')];
        spec
          .given(history)
          .when(claim(2, 'worker-a', '2026-03-01T10:07:00.000Z', '2026-03-01T10:04:59.999Z'))
          .thenThrows('conflict', (e) => e.message.includes('not due before 2026-03-01T10:05:00.000Z'));
        spec
          .given(history)
          .when(claim(2, 'worker-a', '2026-03-01T10:08:00.000Z', '2026-03-01T10:05:00.000Z'))
          .then([claimed(2, 'worker-a', '2026-03-01T10:08:00.000Z', '2026-03-01T10:05:00.000Z')]);
      });

      it('an outcome clears the claim; the next attempt is free to claim', () => {
        const afterSent = spec
          .given([queued, claimed(1, 'worker-a')])
          .when(sendOutcome(1, sent))
          .thenEvents((events) => expect(events.map((e) => e.type)).toEqual(['OutgoingEmailSent']));
        expect(outgoing(afterSent)).toMatchObject({ status: 'Sent', claim: null });
        const afterFailure = spec
          .given([queued, claimed(1, 'worker-a')])
          .when(sendOutcome(1, transient))
          .then([failedEvent(1, '2026-03-01T10:05:00.000Z')]);
        expect(outgoing(afterFailure)).toMatchObject({ status: 'PendingSend', attempts: 1, claim: null });
        // worker-a's claim on attempt 1 is still "live" by its time, but it was for attempt 1.
        spec
          .given([queued, claimed(1, 'worker-a', '2026-03-01T10:30:00.000Z'), failedEvent(1, until)])
          .when(claim(2, 'worker-b', '2026-03-01T10:06:00.000Z', until))
          .then([claimed(2, 'worker-b', '2026-03-01T10:06:00.000Z', until)]);
      });

      it('recording an outcome needs no claim (recovery paths record outcomes too)', () => {
        spec
          .given([queued])
          .when(sendOutcome(1, sent))
          .thenEvents((events) => expect(events.map((e) => e.type)).toEqual(['OutgoingEmailSent']));
        // Nor does the claimant have to be the one recording: a claim held by another worker does not block it.
        spec
          .given([queued, claimed(1, 'worker-b')])
          .when(sendOutcome(1, sent))
          .thenEvents((events) => expect(events.map((e) => e.type)).toEqual(['OutgoingEmailSent']));
      });

      it('a failure recorded while a claim on that attempt is live: the next attempt is due once the claim lapsed', () => {
        // worker-b took over attempt 1 after worker-a's claim lapsed, then worker-a's late failure arrives: b may
        // still be sending until 10:08, so attempt 2 must not be claimable before then.
        spec
          .given([queued, claimed(1, 'worker-b', '2026-03-01T10:08:00.000Z')])
          .when(sendOutcome(1, transient))
          .then([failedEvent(1, '2026-03-01T10:08:00.000Z')]);
        // A claim lapsing before the usual retry delay changes nothing; nor does a permanent failure.
        spec
          .given([queued, claimed(1, 'worker-b', until)])
          .when(sendOutcome(1, transient))
          .then([failedEvent(1, '2026-03-01T10:05:00.000Z')]);
        spec
          .given([queued, claimed(1, 'worker-b', '2026-03-01T10:08:00.000Z')])
          .when(sendOutcome(1, { kind: 'Failed', reason: 'ErrorServerBusy', transient: false }))
          .thenEvents((events) => expect(events).toEqual([permanentFailure(1)]));
      });

      it("the claim holder's own failure: its send has ended, so the usual retry delay applies (issue #11)", () => {
        spec
          .given([queued, claimed(1, 'worker-b', '2026-03-01T10:08:00.000Z')])
          .when({ ...sendOutcome(1, transient), claimant: 'worker-b' } as ActivityCommand)
          .then([failedEvent(1, '2026-03-01T10:05:00.000Z')]);
        // Another worker's outcome still waits for worker-b's claim.
        spec
          .given([queued, claimed(1, 'worker-b', '2026-03-01T10:08:00.000Z')])
          .when({ ...sendOutcome(1, transient), claimant: 'worker-a' } as ActivityCommand)
          .then([failedEvent(1, '2026-03-01T10:08:00.000Z')]);
        spec
          .given([queued, claimed(1, 'worker-b', '2026-03-01T10:08:00.000Z')])
          .when({ ...sendOutcome(1, transient), claimant: '' } as ActivityCommand)
          .thenThrows('validation', [{ field: 'claimant', rule: 'minLength' }]);
      });

      it('an email queued before claims existed evolves with no claim, and can be claimed', () => {
        const state = activityDecider.evolve(activityDecider.initialState(), queued);
        expect(outgoing(state).claim).toBeNull();
        // A state built without the field (as older code did) reads as unclaimed.
        const { claim: _omitted, ...older } = outgoing(state);
        const events = activityDecider.decide(claim(1, 'worker-a', until), {
          kind: 'Outgoing',
          email: older as never,
        });
        expect(events).toEqual([claimed(1, 'worker-a')]);
      });
    });

    it('command results carry the state without the body', () => {
      const state = activityDecider.evolve(activityDecider.initialState(), queued);
      expect(outgoing(activityResultState(state)).body).toBe('');
      expect(outgoing(state).body).toBe('Dear Bob');
    });
  });
});
