import { DomainError } from '../shared/decider';
import { ActivityCommand, SendOutcome } from './commands';
import {
  ActivityState,
  activityDecider,
  activityResultState,
  initialActivityState,
  retainedActivityState as retain,
  SETTLE_OUTGOING_AFTER_MS,
  settledActivity,
} from './decider';
import { ActivityEvent } from './events';
import { incomingEmailActivityId } from './ids';
import { SEND_RETRY_POLICY } from './types';

/**
 * A sync worker decides activity commands on the state it retains (issue #9 item 3). These specs check the contract
 * of `retainedActivityState` over representative histories and every command type: deciding on the retained state
 * gives the same events or the same refusal, and events evolved from it retain to what they retain to from the
 * whole state.
 */

const at = '2026-03-01T10:00:00.000Z';
const later = '2026-03-01T12:00:00.000Z';
const meta = { commandId: 'c-1', actor: 'sync-worker', issuedAt: at };
const mailboxId = 'mbx-1';
const inId = incomingEmailActivityId(mailboxId, '<m1@contoso.test>', 'AAMk-1');
const outId = 'act-out-1';
const body = `<p>${'Quarterly numbers attached. '.repeat(150)}</p>`;

const tracked: ActivityEvent = {
  type: 'IncomingEmailTracked',
  data: {
    activityId: inId,
    mailboxId,
    exchangeItemId: 'AAMk-1',
    internetMessageId: '<m1@contoso.test>',
    subject: 'Quarterly numbers',
    from: 'bob@fabrikam.test',
    to: ['ada@contoso.test'],
    cc: ['carl@contoso.test'],
    body,
    bodyType: 'HTML',
    receivedAt: '2026-03-01T09:59:00.000Z',
    sentAt: null,
    trackedAt: at,
  },
};
const ledger = (outcome: 'Throttled' | 'Duplicate', reason: string): ActivityEvent => ({
  type: 'MessageOutcomeRecorded',
  data: {
    activityId: inId,
    mailboxId,
    exchangeItemId: 'AAMk-1',
    internetMessageId: '<m1@contoso.test>',
    outcome,
    reason,
    at,
  },
});
const queuedWith = (text: string): ActivityEvent => ({
  type: 'OutgoingEmailQueued',
  data: {
    activityId: outId,
    mailboxId,
    from: 'ada@contoso.test',
    to: ['bob@fabrikam.test'],
    cc: [],
    subject: 'Offer',
    body: text,
    bodyType: 'HTML',
    queuedAt: at,
  },
});
const queued = queuedWith(body);
const claimed = (attempt: number, claimant: string, claimUntil: string): ActivityEvent => ({
  type: 'OutgoingEmailSendClaimed',
  data: { activityId: outId, attempt, claimant, claimedAt: at, claimUntil },
});
const sentEvent = (attempt: number): ActivityEvent => ({
  type: 'OutgoingEmailSent',
  data: { activityId: outId, attempt, exchangeItemId: 'AAMk-s', internetMessageId: '<s@c>', sentAt: at },
});
const failed = (attempt: number, nextAttemptAt: string | null, transient = true): ActivityEvent => ({
  type: 'OutgoingEmailSendFailed',
  data: {
    activityId: outId,
    attempt,
    reason: 'ErrorServerBusy',
    transient,
    failedAt: at,
    nextAttemptAt,
    retriesExhausted: transient && nextAttemptAt === null,
  },
});
const retries = SEND_RETRY_POLICY.maxTransientRetries;
const exhausted: ActivityEvent[] = [
  queued,
  ...Array.from({ length: retries }, (_, i) => failed(i + 1, '2026-03-01T10:05:00.000Z')),
  failed(retries + 1, null),
];

const histories: Record<string, ActivityEvent[]> = {
  none: [],
  seen: [ledger('Throttled', 'ErrorServerBusy')],
  tracked: [tracked],
  'tracked after throttling': [ledger('Throttled', 'ErrorServerBusy'), tracked],
  'tracked, then seen again': [tracked, ledger('Duplicate', 'seen again after a re-sync')],
  'pending send': [queued],
  'pending send, claimed': [queued, claimed(1, 'worker-a', '2026-03-01T10:03:00.000Z')],
  'pending send, retry due later': [queued, failed(1, '2026-03-01T10:05:00.000Z')],
  sent: [queued, sentEvent(1)],
  'sent under a claim': [queued, claimed(1, 'worker-a', '2026-03-01T10:03:00.000Z'), sentEvent(1)],
  'sent on the second attempt': [queued, failed(1, '2026-03-01T10:05:00.000Z'), sentEvent(2)],
  'failed for good': [queued, failed(1, null, false)],
  'failed, retries exhausted': exhausted,
};

const track = (extra: Record<string, unknown> = {}) =>
  ({
    ...meta,
    type: 'TrackIncomingEmail',
    activityId: inId,
    mailboxId,
    exchangeItemId: 'AAMk-1',
    internetMessageId: '<m1@contoso.test>',
    subject: 'Quarterly numbers',
    from: 'bob@fabrikam.test',
    to: ['ada@contoso.test'],
    cc: ['carl@contoso.test'],
    body,
    bodyType: 'HTML',
    receivedAt: '2026-03-01T10:59:00+01:00',
    ...extra,
  }) as ActivityCommand;
const outcome = (o: string, reason: string, extra: Record<string, unknown> = {}) =>
  ({
    ...meta,
    type: 'RecordMessageOutcome',
    activityId: inId,
    mailboxId,
    exchangeItemId: 'AAMk-1',
    internetMessageId: '<m1@contoso.test>',
    outcome: o,
    reason,
    ...extra,
  }) as ActivityCommand;
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
    body,
    bodyType: 'HTML',
    ...extra,
  }) as ActivityCommand;
const claim = (attempt: number, claimant: string, issuedAt = at, claimUntil = '2026-03-01T10:03:00.000Z') =>
  ({
    ...meta,
    issuedAt,
    type: 'ClaimSend',
    activityId: outId,
    attempt,
    claimant,
    claimUntil,
  }) as ActivityCommand;
const sendOutcome = (attempt: number, o: SendOutcome, issuedAt = at): ActivityCommand => ({
  ...meta,
  issuedAt,
  type: 'RecordSendOutcome',
  activityId: outId,
  attempt,
  outcome: o,
});
const sent: SendOutcome = { kind: 'Sent', exchangeItemId: 'AAMk-s', internetMessageId: '<s@c>', sentAt: at };
const transient: SendOutcome = { kind: 'Failed', reason: 'ErrorServerBusy', transient: true };
const permanent: SendOutcome = { kind: 'Failed', reason: 'ErrorInvalidRecipients', transient: false };

/** Every command type, with the variants whose answer depends on what the state holds. */
const commands: Record<ActivityCommand['type'], Record<string, ActivityCommand>> = {
  TrackIncomingEmail: {
    'the same message again': track(),
    'the same message, changed': track({ subject: 'changed', body: 'other', to: [], cc: [] }),
    'another mailbox': track({ mailboxId: 'mbx-2' }),
    'on an outgoing email': track({ activityId: outId }),
    invalid: track({ receivedAt: 'yesterday' }),
  },
  RecordMessageOutcome: {
    duplicate: outcome('Duplicate', 'seen again after a re-sync'),
    'duplicate, another reason': outcome('Duplicate', 'seen again'),
    throttled: outcome('Throttled', 'ErrorServerBusy'),
    failed: outcome('Failed', 'body too large'),
    'another mailbox': outcome('Duplicate', 'r', { mailboxId: 'mbx-2' }),
    'on an outgoing email': outcome('Duplicate', 'r', { activityId: outId }),
  },
  QueueOutgoingEmail: {
    'the same request again': queue(),
    'the same email, other recipients': queue({ to: ['carl@contoso.test'], cc: ['dan@contoso.test'] }),
    'another body': queue({ body: `${body}.` }),
    'an empty body': queue({ body: '' }),
    'another subject': queue({ subject: 'Other' }),
    'another mailbox': queue({ mailboxId: 'mbx-2' }),
    'on an incoming email': queue({ activityId: inId }),
    invalid: queue({ to: [] }),
  },
  ClaimSend: {
    'attempt 1': claim(1, 'worker-a'),
    'attempt 1, another claimant': claim(1, 'worker-b'),
    'attempt 2, later': claim(2, 'worker-b', later, '2026-03-01T12:03:00.000Z'),
    'attempt 3, later': claim(3, 'worker-b', later, '2026-03-01T12:03:00.000Z'),
    'on an incoming email': { ...claim(1, 'worker-a'), activityId: inId },
  },
  RecordSendOutcome: {
    'attempt 1 sent': sendOutcome(1, sent),
    'attempt 1 failed': sendOutcome(1, transient),
    'attempt 2 sent': sendOutcome(2, sent, later),
    'attempt 2 failed for good': sendOutcome(2, permanent, later),
    [`attempt ${retries + 2} failed`]: sendOutcome(retries + 2, transient, later),
    'on an incoming email': { ...sendOutcome(1, sent), activityId: inId },
  },
};
const allCommands = Object.entries(commands).flatMap(([type, variants]) =>
  Object.entries(variants).map(([name, command]) => ({ name: `${type} (${name})`, command })),
);

/** As the worker's store keeps it: retained after every event. */
const foldRetained = (events: readonly ActivityEvent[], from = initialActivityState()): ActivityState =>
  events.reduce((state, event) => retain(activityDecider.evolve(state, event)), from);
const foldWhole = (events: readonly ActivityEvent[], from = initialActivityState()): ActivityState =>
  events.reduce((state, event) => activityDecider.evolve(state, event), from);

type Decision =
  { events: ActivityEvent[] } | { refused: Pick<DomainError, 'kind' | 'message' | 'violations'> };
function decision(command: ActivityCommand, state: ActivityState): Decision {
  try {
    return { events: activityDecider.decide(command, state) };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { refused: { kind: error.kind, message: error.message, violations: error.violations } };
  }
}

const email = (state: ActivityState) => {
  if (state.kind !== 'Incoming' && state.kind !== 'Outgoing') throw new Error(`no email: ${state.kind}`);
  return state.email;
};

describe('what a sync worker retains of an activity (issue #9 item 3)', () => {
  const cases = Object.entries(histories).flatMap(([history, events]) =>
    allCommands.map(({ name, command }) => ({ history, events, name, command })),
  );

  it('covers every command type, and each history holds its email as the store builds it', () => {
    expect(Object.keys(commands).sort()).toEqual(
      [
        'ClaimSend',
        'QueueOutgoingEmail',
        'RecordMessageOutcome',
        'RecordSendOutcome',
        'TrackIncomingEmail',
      ].sort(),
    );
    for (const events of Object.values(histories))
      expect(foldRetained(events)).toEqual(retain(foldWhole(events)));
  });

  it.each(cases)('$history, $name: decided alike on the retained state', ({ events, command }) => {
    const whole = foldWhole(events);
    const retained = foldRetained(events);
    const onWhole = decision(command, whole);
    expect(decision(command, retained)).toEqual(onWhole);
    expect(decision(command, retain(whole))).toEqual(onWhole);
    if (!('events' in onWhole)) return;
    // What follows the command: evolved from what the worker held, it retains to the same state.
    expect(foldRetained(onWhole.events, retained)).toEqual(retain(foldWhole(onWhole.events, whole)));
    // A command decided right after, on the state the processor holds within a batch (evolved, not retained yet).
    const next = foldWhole(onWhole.events, retained);
    for (const { command: second } of allCommands)
      expect(decision(second, next)).toEqual(decision(second, foldWhole(onWhole.events, whole)));
  });

  it('keeps the body of an email waiting to be sent, whatever its attempts and claims', () => {
    for (const name of ['pending send', 'pending send, claimed', 'pending send, retry due later']) {
      const state = foldRetained(histories[name]!);
      expect(email(state).body).toBe(body);
      expect(state).toEqual(foldWhole(histories[name]!));
    }
  });

  it('drops the body of a sent or failed email, and keeps everything else a result shows', () => {
    for (const name of ['sent', 'failed for good', 'failed, retries exhausted']) {
      const whole = foldWhole(histories[name]!);
      const retained = foldRetained(histories[name]!);
      expect(email(retained).body).toBe('');
      expect(email(whole).body).toBe(body);
      expect(activityResultState(retained)).toEqual(activityResultState(whole));
      expect(JSON.stringify(retained).length).toBeLessThan(JSON.stringify(whole).length - body.length + 100);
    }
    expect(foldRetained(histories.sent!)).toMatchObject({ email: { bodySha256: expect.any(String) } });
    expect(foldRetained(histories.seen!)).toEqual(foldWhole(histories.seen!));
  });

  it('keeps of a tracked message only that it is tracked, where, and its last ledger outcome', () => {
    const whole = foldWhole(histories.tracked!);
    const retained = foldRetained(histories.tracked!);
    expect(whole.kind).toBe('Incoming');
    expect(retained).toEqual({
      kind: 'Tracked',
      mailboxId: email(whole).mailboxId,
      lastOutcome: 'Tracked',
      lastReason: '',
    });
    expect(activityResultState(retained)).toEqual(activityResultState(whole));
    expect(JSON.stringify(retained).length).toBeLessThan(120);
  });

  it('retaining twice changes nothing (and allocates nothing)', () => {
    for (const events of Object.values(histories)) {
      const once = foldRetained(events);
      expect(retain(once)).toBe(once);
    }
  });

  it('a sent or failed email never becomes sendable again: its body is not needed', () => {
    for (const name of [
      'sent',
      'sent on the second attempt',
      'failed for good',
      'failed, retries exhausted',
    ]) {
      const whole = foldWhole(histories[name]!);
      for (const { command } of allCommands) {
        const d = decision(command, whole);
        if ('events' in d) expect(email(foldWhole(d.events, whole)).status).toBe(email(whole).status);
      }
    }
  });

  it('a queue request repeated after the send is still told apart by its body', () => {
    const retained = foldRetained(histories.sent!);
    expect(activityDecider.decide(queue(), retained)).toEqual([]);
    expect(() => activityDecider.decide(queue({ body: 'other' }), retained)).toThrow(DomainError);
    // Bodies that differ only in lone surrogates (UTF-8 would make both U+FFFD) are told apart.
    const odd = foldRetained([queuedWith('a\uD800'), sentEvent(1)]);
    expect(activityDecider.decide(queue({ body: 'a\uD800' }), odd)).toEqual([]);
    expect(() => activityDecider.decide(queue({ body: 'a\uDC00' }), odd)).toThrow(DomainError);
  });
});

describe('a settled activity: a 12-byte entry decided as one state (docs/adr/0012)', () => {
  const dayAfterQueued = Date.parse(at) + SETTLE_OUTGOING_AFTER_MS;
  const settledHistories = Object.entries(histories).flatMap(([history, events]) => {
    const kind = settledActivity.kindOf(foldRetained(events), dayAfterQueued);
    return kind === null ? [] : [{ history, events, kind }];
  });

  it('settles a tracked message with nothing after it at once, a sent or failed email a day after it was queued', () => {
    expect(settledHistories.map((h) => `${h.history}: ${h.kind}`).sort()).toEqual([
      'failed for good: 2',
      'failed, retries exhausted: 2',
      'sent on the second attempt: 1',
      'sent under a claim: 1',
      'sent: 1',
      'tracked after throttling: 0',
      'tracked: 0',
    ]);
    expect(settledActivity.kindOf(foldRetained(histories.tracked!), 0)).toBe(0);
    expect(settledActivity.kindOf(foldRetained(histories.sent!), dayAfterQueued - 1)).toBeNull();
    expect(settledActivity.kindOf(foldRetained(histories['pending send']!), dayAfterQueued * 2)).toBeNull();
  });

  const cases = settledHistories.flatMap(({ history, events, kind }) =>
    allCommands.map(({ name, command }) => ({ history, events, kind, name, command })),
  );
  it.each(cases)('$history, $name: decided alike on the settled state', ({ events, kind, name, command }) => {
    const onWhole = decision(command, foldWhole(events));
    const onSettled = decision(command, settledActivity.state(kind));
    // A Duplicate naming another mailbox than the one its id is derived from (workers never send one) is recorded,
    // since the entry does not keep the mailbox.
    if (kind === 0 && name === 'RecordMessageOutcome (another mailbox)') {
      expect(onWhole).toMatchObject({ refused: { kind: 'conflict' } });
      expect(onSettled).toMatchObject({ events: [{ type: 'MessageOutcomeRecorded' }] });
      return;
    }
    // A queue request a day later is a conflict: repeated or not, it is no longer told apart.
    if (
      kind !== 0 &&
      command.type === 'QueueOutgoingEmail' &&
      !('refused' in onWhole && onWhole.refused.kind === 'validation')
    ) {
      expect(onSettled).toMatchObject({ refused: { kind: 'conflict' } });
      return;
    }
    expect(onSettled).toEqual(onWhole);
  });
});
