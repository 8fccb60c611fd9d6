import { DeciderSpecification } from '../shared/decider-spec';
import { MailboxCommand } from './commands';
import { mailboxDecider, MailboxState } from './decider';
import { MailboxEvent } from './events';
import { MAX_POLL_CLAIM_AHEAD_MS, nextPollAt, syncOf, SYNC_POLICY } from './sync';

const spec = DeciderSpecification.for(mailboxDecider);
const mailboxId = 'mbx-s';
const at = '2026-03-01T10:00:00.000Z';
const next = '2026-03-01T10:01:00.000Z';
const provisioned: MailboxEvent = {
  type: 'MailboxProvisioned',
  data: {
    mailboxId,
    kind: 'User',
    settings: {
      name: 'Sync',
      emailAddress: 'sync@contoso.test',
      ownerId: 'u-1',
      serverProfileId: 'p-1',
      incomingEmailDeliveryMethod: 'ServerSideSync',
      outgoingEmailDeliveryMethod: 'ServerSideSync',
      actDeliveryMethod: 'None',
      syncOnlyFromThisOrg: false,
    },
    emailAddressStatus: 'Approved',
  },
};
const outcome = (
  poll: number,
  o: Extract<MailboxCommand, { type: 'RecordSyncOutcome' }>['outcome'],
): MailboxCommand => ({
  type: 'RecordSyncOutcome',
  mailboxId,
  commandId: `c-${poll}`,
  actor: 'sync-worker',
  issuedAt: at,
  poll,
  outcome: o,
  nextSyncDueAt: next,
});
const synced = (poll: number, state = `s${poll}`): MailboxEvent => ({
  type: 'MailboxSynced',
  data: {
    mailboxId,
    poll,
    syncState: state,
    trackFrom: at,
    syncedAt: at,
    nextSyncDueAt: next,
    itemsProcessed: 2,
    itemsFailed: 0,
  },
});

function replay(events: MailboxEvent[]): MailboxState {
  return events.reduce(mailboxDecider.evolve, mailboxDecider.initialState());
}

describe('mailbox incoming sync outcomes', () => {
  it('records a poll and moves the cursor', () => {
    spec
      .given([provisioned])
      .when(outcome(0, { kind: 'Synced', syncState: 's1', itemsProcessed: 2, itemsFailed: 0, trackFrom: at }))
      .then([synced(1, 's1')]);
  });

  it('ignores the outcome of a stale poll (another owner recorded a later one): nothing twice', () => {
    spec
      .given([provisioned, synced(1)])
      .when(outcome(0, { kind: 'Synced', syncState: 'x', itemsProcessed: 1, itemsFailed: 0 }))
      .thenNothingHappened();
  });

  it('keeps the first tracking cut-off for good', () => {
    const later = '2026-04-01T00:00:00.000Z';
    const events = mailboxDecider.decide(
      outcome(1, { kind: 'Synced', syncState: 's2', itemsProcessed: 0, itemsFailed: 0, trackFrom: later }),
      replay([provisioned, synced(1)]),
    );
    expect(events[0]).toMatchObject({ type: 'MailboxSynced', data: { trackFrom: at } });
  });

  it('drops the cursor on an invalid sync state (full re-sync)', () => {
    const state = replay([
      provisioned,
      synced(1),
      {
        type: 'MailboxSyncReset',
        data: { mailboxId, poll: 2, resetAt: at, nextSyncDueAt: next, reason: 'ErrorInvalidSyncStateData' },
      },
    ]);
    if (state.status === 'None') throw new Error('no mailbox');
    expect(syncOf(state.mailbox)).toMatchObject({ syncState: null, trackFrom: at, polls: 2 });
  });

  it('counts transient failures and disables incoming email after too many in a row', () => {
    let state = replay([provisioned, synced(1)]);
    for (let i = 1; i < SYNC_POLICY.maxConsecutiveTransientFailures; i += 1) {
      const [event] = mailboxDecider.decide(
        outcome(i, { kind: 'Failed', errorClass: 'Transient', reason: 'transient: HTTP503' }),
        state,
      );
      expect(event).toMatchObject({
        type: 'MailboxSyncFailed',
        data: { disabled: false, consecutiveFailures: i },
      });
      state = mailboxDecider.evolve(state, event!);
    }
    const [last] = mailboxDecider.decide(
      outcome(SYNC_POLICY.maxConsecutiveTransientFailures, {
        kind: 'Failed',
        errorClass: 'Transient',
        reason: 'transient: HTTP503',
      }),
      state,
    );
    expect(last).toMatchObject({ data: { disabled: true, nextSyncDueAt: null } });
    state = mailboxDecider.evolve(state, last!);
    if (state.status === 'None') throw new Error('no mailbox');
    expect(state.mailbox).toMatchObject({
      enabledForIncomingEmail: false,
      incomingEmailStatus: 'Failure',
      mailboxStatus: 'Failure',
    });
  });

  it('never disables a mailbox for throttling (S-5): warned, retried, not counted', () => {
    let state = replay([provisioned, synced(1)]);
    for (let i = 1; i <= 3 * SYNC_POLICY.maxConsecutiveTransientFailures; i += 1) {
      const [event] = mailboxDecider.decide(
        outcome(i, { kind: 'Failed', errorClass: 'Throttled', reason: 'throttled: ErrorServerBusy' }),
        state,
      );
      expect(event).toMatchObject({
        type: 'MailboxSyncFailed',
        data: { disabled: false, consecutiveFailures: 0, nextSyncDueAt: next },
      });
      state = mailboxDecider.evolve(state, event!);
    }
    if (state.status === 'None') throw new Error('no mailbox');
    expect(state.mailbox.incomingEmailStatus).not.toBe('Failure');
    expect(state.mailbox.mailboxStatus).not.toBe('Failure');
  });

  it('disables incoming email at once on a permanent error', () => {
    const [event] = mailboxDecider.decide(
      outcome(1, { kind: 'Failed', errorClass: 'Permanent', reason: 'credentials: 401' }),
      replay([provisioned, synced(1)]),
    );
    expect(event).toMatchObject({
      type: 'MailboxSyncFailed',
      data: { disabled: true, consecutiveFailures: 1 },
    });
  });

  it('a successful poll resets the failure count', () => {
    const failed: MailboxEvent = {
      type: 'MailboxSyncFailed',
      data: {
        mailboxId,
        poll: 2,
        failedAt: at,
        nextSyncDueAt: next,
        reason: 'x',
        consecutiveFailures: 1,
        disabled: false,
      },
    };
    const state = replay([provisioned, synced(1), failed, synced(3)]);
    if (state.status === 'None') throw new Error('no mailbox');
    expect(syncOf(state.mailbox)).toMatchObject({ consecutiveFailures: 0, polls: 3, lastSyncError: null });
  });
});

describe('mailbox poll starts (P-10 across owners)', () => {
  const start = (poll: number, issuedAt: string, actor = 'worker-a'): MailboxCommand => ({
    type: 'StartPoll',
    mailboxId,
    commandId: `start-${poll}-${issuedAt}-${actor}`,
    actor,
    issuedAt,
    poll,
    minIntervalMs: 60_000,
  });
  const started = (poll: number, startedAt: string, startedBy = 'worker-a'): MailboxEvent => ({
    type: 'MailboxPollStarted',
    data: {
      mailboxId,
      poll,
      startedAt,
      startedBy,
      nextPollNotBefore: new Date(Date.parse(startedAt) + 60_000).toISOString(),
    },
  });

  it('records the start and the floor before which no poll may start', () => {
    spec
      .given([provisioned])
      .when(start(0, at))
      .then([started(0, at)]);
  });

  it('refuses a start before the floor of a poll another worker started (a handover): no event', () => {
    spec
      .given([provisioned, started(0, at, 'worker-a')])
      .when(start(0, '2026-03-01T10:00:59.999Z', 'worker-b'))
      .thenNothingHappened();
  });

  it('lets a new owner start once the floor has passed, even if the old owner never recorded an outcome', () => {
    spec
      .given([provisioned, started(0, at, 'worker-a')])
      .when(start(0, '2026-03-01T10:01:00.000Z', 'worker-b'))
      .then([started(0, '2026-03-01T10:01:00.000Z', 'worker-b')]);
  });

  it('refuses a start that names a poll already recorded (a stale view)', () => {
    spec
      .given([provisioned, synced(1)])
      .when(start(0, '2026-03-01T11:00:00.000Z'))
      .thenNothingHappened();
  });

  describe('a claim made ahead of the due time', () => {
    const ahead = (
      poll: number,
      issuedAt: string,
      notBefore: string,
      actor = 'worker-b',
    ): MailboxCommand => ({
      type: 'StartPoll',
      mailboxId,
      commandId: `ahead-${poll}-${issuedAt}-${actor}`,
      actor,
      issuedAt,
      poll,
      minIntervalMs: 60_000,
      notBefore,
    });

    it('reserves the start it names and counts the floor from it', () => {
      spec
        .given([provisioned, started(0, at, 'worker-a'), synced(1)])
        .when(ahead(1, '2026-03-01T10:00:59.600Z', '2026-03-01T10:01:00.000Z'))
        .then([started(1, '2026-03-01T10:01:00.000Z', 'worker-b')]);
    });

    it('is judged by the start it reserves: one before the floor is refused, however late it is issued', () => {
      spec
        .given([provisioned, started(0, at, 'worker-a')])
        .when(ahead(0, '2026-03-01T10:00:59.000Z', '2026-03-01T10:00:59.999Z'))
        .thenNothingHappened();
    });

    it('never reserves a start in the past: a notBefore before issuedAt counts from issuedAt', () => {
      spec
        .given([provisioned])
        .when(ahead(0, '2026-03-01T10:00:05.000Z', at))
        .then([started(0, '2026-03-01T10:00:05.000Z', 'worker-b')]);
    });

    it('refuses a claim further ahead than MAX_POLL_CLAIM_AHEAD_MS, or one that names no instant', () => {
      const issued = '2026-03-01T10:00:00.000Z';
      const tooFar = new Date(Date.parse(issued) + MAX_POLL_CLAIM_AHEAD_MS + 1).toISOString();
      spec
        .given([provisioned])
        .when(ahead(0, issued, tooFar))
        .thenNothingHappened();
      spec
        .given([provisioned])
        .when(ahead(0, issued, 'soon'))
        .thenNothingHappened();
      const farEnough = new Date(Date.parse(issued) + MAX_POLL_CLAIM_AHEAD_MS).toISOString();
      spec
        .given([provisioned])
        .when(ahead(0, issued, farEnough))
        .then([started(0, farEnough, 'worker-b')]);
    });
  });

  it('keeps the floor through the outcome and shows who started the last poll', () => {
    const state = replay([provisioned, started(0, at), synced(1)]);
    if (state.status === 'None') throw new Error('no mailbox');
    expect(syncOf(state.mailbox)).toMatchObject({
      polls: 1,
      lastPollStartedAt: at,
      lastPollStartedBy: 'worker-a',
      nextPollNotBefore: '2026-03-01T10:01:00.000Z',
    });
  });

  describe('the floor narrowed to when the request went out', () => {
    // A claim that allowed 1 s of slack: its floor is the claim plus the interval plus the slack.
    const claimed: MailboxEvent = {
      type: 'MailboxPollStarted',
      data: {
        mailboxId,
        poll: 0,
        startedAt: at,
        startedBy: 'worker-a',
        nextPollNotBefore: '2026-03-01T10:01:01.000Z',
      },
    };
    const outcome = (requestedAt: string): MailboxCommand => ({
      type: 'RecordSyncOutcome',
      mailboxId,
      commandId: `outcome-${requestedAt}`,
      actor: 'worker-a',
      issuedAt: '2026-03-01T10:00:00.400Z',
      poll: 0,
      outcome: { kind: 'Synced', syncState: 's1', itemsProcessed: 0, itemsFailed: 0, trackFrom: at },
      nextSyncDueAt: '2026-03-01T10:01:00.050Z',
      requestedAt,
      minIntervalMs: 60_000,
    });
    const floorAfter = (command: MailboxCommand) => {
      const state = replay([
        provisioned,
        claimed,
        ...mailboxDecider.decide(command, replay([provisioned, claimed])),
      ]);
      if (state.status === 'None') throw new Error('no mailbox');
      return syncOf(state.mailbox).nextPollNotBefore;
    };

    it('is the request plus the interval when the claim covers the request', () => {
      expect(floorAfter(outcome('2026-03-01T10:00:00.050Z'))).toBe('2026-03-01T10:01:00.050Z');
    });

    it('keeps the claim floor for a request before the claim or past its slack (not the claimed poll)', () => {
      expect(floorAfter(outcome('2026-03-01T09:59:59.999Z'))).toBe('2026-03-01T10:01:01.000Z');
      expect(floorAfter(outcome('2026-03-01T10:00:01.000Z'))).toBe('2026-03-01T10:01:01.000Z');
    });
  });

  it('nextPollAt is the later of the schedule and the floor', () => {
    const state = replay([provisioned, started(0, at), synced(1)]);
    if (state.status === 'None') throw new Error('no mailbox');
    const base = syncOf(state.mailbox);
    expect(nextPollAt(base)).toBe(Date.parse(next));
    expect(nextPollAt({ ...base, nextSyncDueAt: at })).toBe(Date.parse(next));
    expect(nextPollAt({ ...base, nextSyncDueAt: '2026-03-01T10:05:00.000Z' })).toBe(
      Date.parse('2026-03-01T10:05:00.000Z'),
    );
    expect(nextPollAt({ ...base, nextSyncDueAt: null, nextPollNotBefore: null })).toBeNull();
  });
});
