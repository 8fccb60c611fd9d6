import { ActivityState } from '@ssync/domain';
import { EmailActivityDocument, TrackingLedgerDocument } from '@ssync/read-models';

/** What the API shows of an email activity (issue #5 contract). */
export interface EmailActivityView {
  id: string;
  mailboxId: string;
  direction: 'Incoming' | 'Outgoing';
  status: 'Tracked' | 'PendingSend' | 'Sent' | 'Failed';
  subject: string;
  from: string | null;
  to: string[];
  cc: string[];
  body: string;
  bodyType: 'Text' | 'HTML';
  receivedAt?: string | null;
  sentAt: string | null;
  queuedAt?: string | null;
  exchangeItemId: string | null;
  internetMessageId: string | null;
  failureReason?: string | null;
  attempt: number;
  nextAttemptAt?: string | null;
  version: number;
}

export function activityViewFromDocument(d: EmailActivityDocument): EmailActivityView {
  const base = {
    id: d._id,
    mailboxId: d.mailboxId,
    direction: d.direction,
    status: d.status,
    subject: d.subject,
    from: d.from,
    to: d.to,
    cc: d.cc,
    body: d.body,
    bodyType: d.bodyType,
    sentAt: d.sentAt,
    exchangeItemId: d.exchangeItemId,
    internetMessageId: d.internetMessageId,
    attempt: d.attempt,
    version: d.version,
  };
  return d.direction === 'Incoming'
    ? { ...base, receivedAt: d.receivedAt }
    : {
        ...base,
        queuedAt: d.queuedAt,
        failureReason: d.failureReason,
        nextAttemptAt: d.nextAttemptAt,
      };
}

/** The view of an outgoing activity from a command result (whose state carries no body: the caller has it). */
export function outgoingViewFromState(
  state: ActivityState,
  version: number,
  body: string,
): EmailActivityView | null {
  if (state.kind !== 'Outgoing') return null;
  const e = state.email;
  return {
    id: e.activityId,
    mailboxId: e.mailboxId,
    direction: 'Outgoing',
    status: e.status,
    subject: e.subject,
    from: e.from,
    to: e.to,
    cc: e.cc,
    body,
    bodyType: e.bodyType,
    sentAt: e.sentAt,
    queuedAt: e.queuedAt,
    exchangeItemId: e.exchangeItemId,
    internetMessageId: e.internetMessageId,
    failureReason: e.failureReason,
    attempt: e.attempts,
    nextAttemptAt: e.nextAttemptAt,
    version,
  };
}

/** B-1: why was this email (not) tracked. */
export interface LedgerEntryView {
  activityId: string;
  mailboxId: string;
  internetMessageId: string | null;
  exchangeItemId: string;
  outcome: string;
  reason: string;
  at: string;
  firstSeenAt: string;
  tracked: boolean;
  trackedAt: string | null;
  seen: number;
  history: { outcome: string; reason: string; at: string }[];
}

export function ledgerView(d: TrackingLedgerDocument): LedgerEntryView {
  return {
    activityId: d._id,
    mailboxId: d.mailboxId,
    internetMessageId: d.internetMessageId,
    exchangeItemId: d.exchangeItemId,
    outcome: d.outcome,
    reason: d.reason,
    at: d.at,
    firstSeenAt: d.firstSeenAt,
    tracked: d.tracked,
    trackedAt: d.trackedAt,
    seen: d.seen,
    history: d.history.map((h) => ({ outcome: h.outcome, reason: h.reason, at: h.at })),
  };
}
