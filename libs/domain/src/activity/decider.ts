import { createHash } from 'node:crypto';
import { Decider, DomainError, Violation, assertNever, assertValid } from '../shared/decider';
import { rules } from '../shared/rules';
import { ActivityCommand, SendOutcome } from './commands';
import { ActivityEvent } from './events';
import {
  ACTIVITY_LIMITS,
  BODY_TYPES,
  IncomingEmail,
  LedgerOutcome,
  MESSAGE_OUTCOMES,
  OutgoingEmail,
  SEND_RETRY_POLICY,
  SeenMessage,
  SendClaim,
} from './types';

export type ActivityState =
  | { kind: 'None' }
  /** Seen by a worker and not tracked (yet): only ledger entries. */
  | { kind: 'Seen'; message: SeenMessage }
  | { kind: 'Incoming'; email: IncomingEmail; lastOutcome: LedgerOutcome; lastReason: string }
  /**
   * A tracked message as a sync worker keeps it in memory (`retainedActivityState`): only what deciding on it
   * needs — it is tracked, in which mailbox, and its last ledger outcome. Decided exactly as `Incoming`.
   * `mailboxId` is null once it is settled (`settledActivity`): its id is derived from its mailbox.
   */
  | { kind: 'Tracked'; mailboxId: string | null; lastOutcome: LedgerOutcome; lastReason: string }
  | { kind: 'Outgoing'; email: OutgoingEmail }
  /**
   * An outgoing email sent or failed, queued more than {@link SETTLE_OUTGOING_AFTER_MS} ago, as a sync worker keeps
   * it (settled, `settledActivity`): only how it ended. A queue request repeated after that is a conflict.
   */
  | { kind: 'Finished'; status: 'Sent' | 'Failed' };

export const initialActivityState = (): ActivityState => ({ kind: 'None' });

type Cmd<T extends ActivityCommand['type']> = Extract<ActivityCommand, { type: T }>;

// ---------------------------------------------------------------------------------------------- validation

/** Pure normalization of an already validated instant to UTC `toISOString` form (sortable as a string). */
const utc = (iso: string): string => new Date(Date.parse(iso)).toISOString();

/** An id a worker could not read arrives as '' or null; events say null. */
const orNull = (id: string | null | undefined): string | null =>
  typeof id === 'string' && id.trim() !== '' ? id : null;

function text(field: string, value: unknown, max: number): Violation[] {
  if (typeof value !== 'string') return [{ field, rule: 'type', message: 'must be a string' }];
  if (value.length > max)
    return [{ field, rule: 'maxLength', message: `must have at most ${max} characters` }];
  return [];
}

function nullableText(field: string, value: unknown, max: number): Violation[] {
  return value === null || value === undefined ? [] : text(field, value, max);
}

/**
 * Recipients of an incoming message are taken as Exchange reports them (an unresolved sender can be an X.500
 * address); outgoing ones must be SMTP addresses, because Exchange will send to them.
 */
function recipients(field: string, value: unknown, smtp: boolean): Violation[] {
  if (!Array.isArray(value)) return [{ field, rule: 'type', message: 'must be an array of addresses' }];
  const v: Violation[] = [];
  value.forEach((a, i) =>
    v.push(
      ...(smtp
        ? rules.smtpAddress(`${field}[${i}]`, a)
        : rules.requiredString(`${field}[${i}]`, a, 1, ACTIVITY_LIMITS.address)),
    ),
  );
  return v;
}

function recipientCount(to: unknown, cc: unknown): Violation[] {
  const n = (Array.isArray(to) ? to.length : 0) + (Array.isArray(cc) ? cc.length : 0);
  return n > ACTIVITY_LIMITS.recipients
    ? [
        {
          field: 'to',
          rule: 'maxItems',
          message: `to and cc together must have at most ${ACTIVITY_LIMITS.recipients} addresses`,
        },
      ]
    : [];
}

function messageIds(c: { mailboxId: unknown; exchangeItemId: unknown; internetMessageId: unknown }) {
  return [
    ...rules.requiredString('mailboxId', c.mailboxId, 1, 128),
    ...rules.requiredString('exchangeItemId', c.exchangeItemId, 1, ACTIVITY_LIMITS.exchangeItemId),
    ...nullableText('internetMessageId', c.internetMessageId, ACTIVITY_LIMITS.internetMessageId),
  ];
}

/** What an activity cannot hold: the worker records such a message as Failed and moves it (P-12). */
export function validateIncomingEmail(c: Cmd<'TrackIncomingEmail'>): Violation[] {
  const v = messageIds(c);
  v.push(...text('subject', c.subject, ACTIVITY_LIMITS.subject));
  // A message can lack a sender (a draft, some system notices): the activity is tracked with an empty one.
  v.push(...text('from', c.from, ACTIVITY_LIMITS.address));
  v.push(...recipients('to', c.to, false), ...recipients('cc', c.cc, false), ...recipientCount(c.to, c.cc));
  v.push(...text('body', c.body, ACTIVITY_LIMITS.body));
  v.push(...rules.oneOf('bodyType', c.bodyType, BODY_TYPES));
  v.push(...rules.isoInstant('receivedAt', c.receivedAt));
  if (c.sentAt !== undefined && c.sentAt !== null) v.push(...rules.isoInstant('sentAt', c.sentAt));
  return v;
}

export function validateOutgoingEmail(c: Cmd<'QueueOutgoingEmail'>): Violation[] {
  const v = [...rules.requiredString('mailboxId', c.mailboxId, 1, 128)];
  if (c.from !== undefined && c.from !== null) v.push(...rules.smtpAddress('from', c.from));
  v.push(...recipients('to', c.to, true), ...recipients('cc', c.cc, true), ...recipientCount(c.to, c.cc));
  if (Array.isArray(c.to) && c.to.length === 0)
    v.push({ field: 'to', rule: 'minItems', message: 'must name at least one recipient' });
  v.push(...text('subject', c.subject, ACTIVITY_LIMITS.subject));
  v.push(...text('body', c.body, ACTIVITY_LIMITS.body));
  v.push(...rules.oneOf('bodyType', c.bodyType, BODY_TYPES));
  return v;
}

function sendOutcomeViolations(outcome: SendOutcome | undefined): Violation[] {
  if (typeof outcome !== 'object' || outcome === null)
    return [{ field: 'outcome', rule: 'type', message: 'must be an object' }];
  const kind: unknown = (outcome as { kind?: unknown }).kind;
  if (kind === 'Sent') {
    const o = outcome as Extract<SendOutcome, { kind: 'Sent' }>;
    // The ids may be unknown (EWS SendAndSaveCopy returns none): a sent email is recorded as sent regardless —
    // refusing the outcome would leave it PendingSend and send it again.
    return [
      ...nullableText('outcome.exchangeItemId', o.exchangeItemId, ACTIVITY_LIMITS.exchangeItemId),
      ...nullableText('outcome.internetMessageId', o.internetMessageId, ACTIVITY_LIMITS.internetMessageId),
      ...rules.isoInstant('outcome.sentAt', o.sentAt),
    ];
  }
  if (kind === 'Failed') {
    const o = outcome as Extract<SendOutcome, { kind: 'Failed' }>;
    return [
      ...rules.requiredString('outcome.reason', o.reason, 1, ACTIVITY_LIMITS.reason),
      ...rules.boolean('outcome.transient', o.transient),
    ];
  }
  return [{ field: 'outcome.kind', rule: 'enum', message: 'must be one of Sent, Failed' }];
}

// ---------------------------------------------------------------------------------------------- decide

function sameMailbox(state: ActivityState, activityId: string, mailboxId: string): void {
  const current =
    state.kind === 'Seen'
      ? state.message.mailboxId
      : state.kind === 'None' || state.kind === 'Finished'
        ? mailboxId
        : state.kind === 'Tracked'
          ? (state.mailboxId ?? mailboxId)
          : state.email.mailboxId;
  if (current !== mailboxId)
    throw new DomainError(
      'conflict',
      `activity ${activityId} belongs to mailbox ${current}, not ${mailboxId}`,
    );
}

function decideTrack(c: Cmd<'TrackIncomingEmail'>, state: ActivityState): ActivityEvent[] {
  // Exactly once (S-1): the same message again is a duplicate, whatever it says now.
  if (state.kind === 'Incoming' || state.kind === 'Tracked') return [];
  if (state.kind === 'Outgoing' || state.kind === 'Finished')
    throw new DomainError('conflict', `activity ${c.activityId} is an outgoing email`);
  assertValid(validateIncomingEmail(c));
  sameMailbox(state, c.activityId, c.mailboxId);
  return [
    {
      type: 'IncomingEmailTracked',
      data: {
        activityId: c.activityId,
        mailboxId: c.mailboxId,
        exchangeItemId: c.exchangeItemId,
        internetMessageId: orNull(c.internetMessageId),
        subject: c.subject,
        from: c.from,
        to: [...c.to],
        cc: [...c.cc],
        body: c.body,
        bodyType: c.bodyType,
        receivedAt: utc(c.receivedAt),
        sentAt: c.sentAt ? utc(c.sentAt) : null,
        trackedAt: c.issuedAt,
      },
    },
  ];
}

function decideOutcome(c: Cmd<'RecordMessageOutcome'>, state: ActivityState): ActivityEvent[] {
  const v = messageIds(c);
  v.push(...rules.oneOf('outcome', c.outcome, MESSAGE_OUTCOMES));
  v.push(...rules.requiredString('reason', c.reason, 1, ACTIVITY_LIMITS.reason));
  assertValid(v);
  if (state.kind === 'Outgoing' || state.kind === 'Finished')
    throw new DomainError('conflict', `activity ${c.activityId} is an outgoing email`);
  sameMailbox(state, c.activityId, c.mailboxId);
  if ((state.kind === 'Incoming' || state.kind === 'Tracked') && c.outcome !== 'Duplicate')
    throw new DomainError(
      'conflict',
      `the message is tracked as activity ${c.activityId}; only Duplicate can be recorded for it now`,
    );
  // The same outcome again (a worker repeating a poll) adds nothing to the ledger.
  const last =
    state.kind === 'Seen'
      ? { outcome: state.message.lastOutcome, reason: state.message.lastReason }
      : state.kind === 'Incoming' || state.kind === 'Tracked'
        ? { outcome: state.lastOutcome, reason: state.lastReason }
        : null;
  if (last && last.outcome === c.outcome && last.reason === c.reason) return [];
  return [
    {
      type: 'MessageOutcomeRecorded',
      data: {
        activityId: c.activityId,
        mailboxId: c.mailboxId,
        exchangeItemId: c.exchangeItemId,
        internetMessageId: orNull(c.internetMessageId),
        outcome: c.outcome,
        reason: c.reason,
        at: c.issuedAt,
      },
    },
  ];
}

function decideQueue(c: Cmd<'QueueOutgoingEmail'>, state: ActivityState): ActivityEvent[] {
  assertValid(validateOutgoingEmail(c));
  if (state.kind === 'Outgoing') {
    const e = state.email;
    // A retried request (same id, same email) is a no-op; anything else reusing the id is a conflict.
    if (e.mailboxId === c.mailboxId && e.subject === c.subject && hasBody(e, c.body)) return [];
    throw new DomainError('conflict', `activity ${c.activityId} already exists`);
  }
  if (state.kind === 'Finished')
    throw new DomainError(
      'conflict',
      `activity ${c.activityId} already exists: it was ${state.status}, and a repeated request is recognised only within ${SETTLE_OUTGOING_AFTER_MS / 3_600_000} hours of the first`,
    );
  if (state.kind !== 'None') throw new DomainError('conflict', `activity ${c.activityId} already exists`);
  return [
    {
      type: 'OutgoingEmailQueued',
      data: {
        activityId: c.activityId,
        mailboxId: c.mailboxId,
        from: c.from ?? null,
        to: [...c.to],
        cc: [...c.cc],
        subject: c.subject,
        body: c.body,
        bodyType: c.bodyType,
        queuedAt: c.issuedAt,
      },
    },
  ];
}

/** Over the UTF-16 code units: UTF-8 would map every lone surrogate to U+FFFD, so two bodies to one digest. */
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf16le').digest('hex');

/** Whether `body` is the email's body, also once a worker kept only its digest (`retainedActivityState`). */
function hasBody(e: OutgoingEmail, body: string): boolean {
  return e.bodySha256 === undefined ? e.body === body : e.bodySha256 === sha256(body);
}

/** Pure date arithmetic on the command's own time; no clock is read. */
function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

/**
 * S-3 exactly once: an outcome answers one attempt. Outcomes of earlier attempts, or any after the email is Sent
 * or Failed, change nothing (the worker may report twice). A transient failure schedules the next attempt until
 * `maxTransientRetries` retries have failed; a permanent one fails the email at once.
 */
function decideSendOutcome(c: Cmd<'RecordSendOutcome'>, state: ActivityState): ActivityEvent[] {
  if (state.kind !== 'Outgoing' && state.kind !== 'Finished')
    throw new DomainError(
      state.kind === 'None' ? 'not-found' : 'conflict',
      `activity ${c.activityId} is not an outgoing email`,
    );
  const policy = c.policy ?? SEND_RETRY_POLICY;
  const v = rules.integerInRange('attempt', c.attempt, 1, 1_000_000);
  assertValid(v);
  if (state.kind === 'Finished') return [];
  const e = state.email;
  if (e.status !== 'PendingSend' || c.attempt <= e.attempts) return [];
  if (c.attempt !== e.attempts + 1)
    throw DomainError.validation([
      { field: 'attempt', rule: 'sequence', message: `the next attempt is ${e.attempts + 1}` },
    ]);
  v.push(...sendOutcomeViolations(c.outcome));
  if (c.claimant !== undefined) v.push(...rules.requiredString('claimant', c.claimant, 1, 200));
  v.push(...rules.integerInRange('policy.maxTransientRetries', policy.maxTransientRetries, 0, 1000));
  v.push(...rules.integerInRange('policy.retryDelayMinutes', policy.retryDelayMinutes, 0, 7 * 24 * 60));
  assertValid(v);
  const outcome = c.outcome;
  if (outcome.kind === 'Sent') {
    return [
      {
        type: 'OutgoingEmailSent',
        data: {
          activityId: c.activityId,
          attempt: c.attempt,
          exchangeItemId: orNull(outcome.exchangeItemId),
          internetMessageId: orNull(outcome.internetMessageId),
          sentAt: utc(outcome.sentAt),
        },
      },
    ];
  }
  // Attempt 1 is the first try; attempts 2…maxTransientRetries+1 are the retries.
  const retriesLeft = c.attempt - 1 < policy.maxTransientRetries;
  const retry = outcome.transient && retriesLeft;
  // An outcome can arrive from a worker whose claim lapsed while another worker holds a live claim on the same
  // attempt and may still be sending: the next attempt is not due before that claim lapses. The holder's own outcome
  // says its send has ended: its claim holds nothing back.
  const claim = liveClaim(e, c.issuedAt);
  const retryAt = retry ? addMinutes(c.issuedAt, policy.retryDelayMinutes) : null;
  const nextAttemptAt =
    retryAt !== null &&
    claim !== null &&
    claim.attempt === c.attempt &&
    claim.claimant !== c.claimant &&
    Date.parse(claim.claimUntil) > Date.parse(retryAt)
      ? claim.claimUntil
      : retryAt;
  return [
    {
      type: 'OutgoingEmailSendFailed',
      data: {
        activityId: c.activityId,
        attempt: c.attempt,
        reason: outcome.reason,
        transient: outcome.transient,
        failedAt: c.issuedAt,
        nextAttemptAt,
        retriesExhausted: outcome.transient && !retriesLeft,
      },
    },
  ];
}

/** The claim on the next attempt if it is still live at `at` (claims made before claims existed read as none). */
function liveClaim(e: OutgoingEmail, at: string): SendClaim | null {
  const claim = e.claim ?? null;
  return claim !== null && Date.parse(claim.claimUntil) > Date.parse(at) ? claim : null;
}

/**
 * S-3 exactly once across workers: a worker sends attempt `attempts + 1` only under a claim this decider accepted
 * and that is still live. The activity has one writer, so claims are decided in one order: while a claim is live no
 * other claimant gets the attempt; the same claimant may claim again to extend it. A new claimant gets the attempt
 * only once the old claim has lapsed — by then every request of the old claimant's send has ended (the worker
 * starts none that could outlast its claim), and the new one still looks in Sent Items before sending.
 */
function decideClaim(c: Cmd<'ClaimSend'>, state: ActivityState): ActivityEvent[] {
  if (state.kind !== 'Outgoing' && state.kind !== 'Finished')
    throw new DomainError(
      state.kind === 'None' ? 'not-found' : 'conflict',
      `activity ${c.activityId} is not an outgoing email`,
    );
  const v = [
    ...rules.integerInRange('attempt', c.attempt, 1, 1_000_000),
    ...rules.requiredString('claimant', c.claimant, 1, 200),
    ...rules.isoInstant('claimUntil', c.claimUntil),
  ];
  if (v.length === 0 && Date.parse(c.claimUntil) <= Date.parse(c.issuedAt))
    v.push({ field: 'claimUntil', rule: 'after', message: 'must be after issuedAt' });
  assertValid(v);
  const status = state.kind === 'Finished' ? state.status : state.email.status;
  if (state.kind === 'Finished' || status !== 'PendingSend')
    throw new DomainError('conflict', `activity ${c.activityId} is ${status}: there is nothing to send`);
  const e = state.email;
  if (c.attempt !== e.attempts + 1)
    throw DomainError.validation([
      { field: 'attempt', rule: 'sequence', message: `the next attempt is ${e.attempts + 1}` },
    ]);
  if (e.nextAttemptAt !== null && Date.parse(e.nextAttemptAt) > Date.parse(c.issuedAt))
    throw new DomainError(
      'conflict',
      `attempt ${c.attempt} of activity ${c.activityId} is not due before ${e.nextAttemptAt}`,
    );
  const held = liveClaim(e, c.issuedAt);
  if (held !== null && held.attempt === c.attempt && held.claimant !== c.claimant)
    throw new DomainError(
      'conflict',
      `attempt ${c.attempt} of activity ${c.activityId} is claimed by ${held.claimant} until ${held.claimUntil}`,
    );
  return [
    {
      type: 'OutgoingEmailSendClaimed',
      data: {
        activityId: c.activityId,
        attempt: c.attempt,
        claimant: c.claimant,
        claimedAt: c.issuedAt,
        claimUntil: utc(c.claimUntil),
      },
    },
  ];
}

export function decideActivity(command: ActivityCommand, state: ActivityState): ActivityEvent[] {
  switch (command.type) {
    case 'TrackIncomingEmail':
      return decideTrack(command, state);
    case 'RecordMessageOutcome':
      return decideOutcome(command, state);
    case 'QueueOutgoingEmail':
      return decideQueue(command, state);
    case 'ClaimSend':
      return decideClaim(command, state);
    case 'RecordSendOutcome':
      return decideSendOutcome(command, state);
    default:
      return assertNever(command, 'activity command');
  }
}

// ---------------------------------------------------------------------------------------------- evolve

export function evolveActivity(state: ActivityState, event: ActivityEvent): ActivityState {
  switch (event.type) {
    case 'IncomingEmailTracked':
      return {
        kind: 'Incoming',
        email: { direction: 'Incoming', status: 'Tracked', ...event.data },
        lastOutcome: 'Tracked',
        lastReason: '',
      };
    case 'MessageOutcomeRecorded': {
      const d = event.data;
      if (state.kind === 'Incoming' || state.kind === 'Tracked')
        return { ...state, lastOutcome: d.outcome, lastReason: d.reason };
      if (state.kind === 'Outgoing' || state.kind === 'Finished') return state;
      return {
        kind: 'Seen',
        message: {
          mailboxId: d.mailboxId,
          exchangeItemId: d.exchangeItemId,
          internetMessageId: d.internetMessageId,
          lastOutcome: d.outcome,
          lastReason: d.reason,
        },
      };
    }
    case 'OutgoingEmailQueued':
      return {
        kind: 'Outgoing',
        email: {
          direction: 'Outgoing',
          status: 'PendingSend',
          ...event.data,
          attempts: 0,
          nextAttemptAt: null,
          exchangeItemId: null,
          internetMessageId: null,
          sentAt: null,
          failureReason: null,
          claim: null,
        },
      };
    case 'OutgoingEmailSendClaimed': {
      if (state.kind !== 'Outgoing') return state;
      const { attempt, claimant, claimedAt, claimUntil } = event.data;
      return {
        kind: 'Outgoing',
        email: { ...state.email, claim: { attempt, claimant, claimedAt, claimUntil } },
      };
    }
    case 'OutgoingEmailSent':
      if (state.kind !== 'Outgoing') return state;
      return {
        kind: 'Outgoing',
        email: {
          ...state.email,
          status: 'Sent',
          attempts: event.data.attempt,
          nextAttemptAt: null,
          exchangeItemId: event.data.exchangeItemId,
          internetMessageId: event.data.internetMessageId,
          sentAt: event.data.sentAt,
          failureReason: null,
          claim: null,
        },
      };
    case 'OutgoingEmailSendFailed':
      if (state.kind !== 'Outgoing') return state;
      return {
        kind: 'Outgoing',
        email: {
          ...state.email,
          status: event.data.nextAttemptAt === null ? 'Failed' : 'PendingSend',
          attempts: event.data.attempt,
          nextAttemptAt: event.data.nextAttemptAt,
          failureReason: event.data.reason,
          claim: null,
        },
      };
    default:
      return assertNever(event, 'activity event');
  }
}

/**
 * What command results carry: the state without the body (up to ~4 MB), so results stay small. Callers that
 * need the body have it (the API queued it) or read the email_activities view.
 */
export function activityResultState(state: ActivityState): ActivityState {
  switch (state.kind) {
    case 'Incoming':
      // The same result whether the owner kept the whole message in memory or not (nobody reads more of it).
      return {
        kind: 'Tracked',
        mailboxId: state.email.mailboxId,
        lastOutcome: state.lastOutcome,
        lastReason: state.lastReason,
      };
    case 'Tracked':
    case 'Finished':
      return state;
    case 'Outgoing': {
      const { bodySha256: _digest, ...email } = state.email;
      return { ...state, email: { ...email, body: '' } };
    }
    case 'None':
    case 'Seen':
      return state;
  }
}

/**
 * What a sync worker keeps of an activity in memory (issue #9 item 3). A tracked message can only be recorded as a
 * duplicate, whatever it says: it becomes `Tracked` (its mailbox and last ledger outcome, ~100 bytes). The body (up to
 * ~4 MB) of a Sent or Failed email is dropped: it is never sent again (no command moves it back to PendingSend), and a
 * queue request repeated after the send is told apart by the body's digest. A PendingSend email keeps everything: the
 * sender sends that body.
 * Deciding any command on the retained state gives what deciding it on the whole state gives.
 */
export function retainedActivityState(state: ActivityState): ActivityState {
  if (state.kind === 'Incoming')
    return {
      kind: 'Tracked',
      mailboxId: state.email.mailboxId,
      lastOutcome: state.lastOutcome,
      lastReason: state.lastReason,
    };
  if (state.kind === 'Outgoing') {
    const e = state.email;
    if (e.status === 'PendingSend' || e.bodySha256 !== undefined) return state;
    return { ...state, email: { ...e, body: '', bodySha256: sha256(e.body) } };
  }
  return state;
}

/** How long after it was queued a finished outgoing email is kept whole: a repeated request is recognised until then. */
export const SETTLE_OUTGOING_AFTER_MS = 24 * 3_600_000;

/**
 * Settled activities (docs/adr/0012): what a worker keeps as a 12-byte entry (its id's digest, this kind and its
 * version), decided as `state(kind)`:
 * - kind 0, a message tracked with nothing recorded after it: its next copy is a duplicate, and only a Duplicate
 *   outcome can be recorded for it. The mailbox is not kept — an incoming activity's id is derived from it
 *   (`incomingEmailActivityId`) — so a Duplicate naming another mailbox is recorded where the whole state would
 *   refuse it; workers never send one;
 * - kinds 1 and 2, an outgoing email Sent or Failed and queued more than {@link SETTLE_OUTGOING_AFTER_MS} ago:
 *   nothing more is sent, and a repeated queue request is a conflict (the whole state would answer it).
 */
export const settledActivity = {
  kindOf(state: ActivityState, now: number): number | null {
    if (state.kind === 'Tracked' && state.lastOutcome === 'Tracked') return 0;
    if (state.kind !== 'Outgoing' || state.email.status === 'PendingSend') return null;
    if (Date.parse(state.email.queuedAt) + SETTLE_OUTGOING_AFTER_MS > now) return null;
    return state.email.status === 'Sent' ? 1 : 2;
  },
  state(kind: number): ActivityState {
    if (kind === 1) return { kind: 'Finished', status: 'Sent' };
    if (kind === 2) return { kind: 'Finished', status: 'Failed' };
    return { kind: 'Tracked', mailboxId: null, lastOutcome: 'Tracked', lastReason: '' };
  },
};

export const activityDecider: Decider<ActivityCommand, ActivityEvent, ActivityState> = {
  decide: decideActivity,
  evolve: evolveActivity,
  initialState: initialActivityState,
};
