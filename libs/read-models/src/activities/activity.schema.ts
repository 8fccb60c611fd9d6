import { Schema } from 'mongoose';
import { ActivityDirection, ActivityStatus, BodyType, LedgerOutcome } from '@ssync/domain';

/** An email activity (S-1, S-3): what the CRM shows of an incoming or outgoing email. */
export interface EmailActivityDocument {
  /** The activity id. */
  _id: string;
  mailboxId: string;
  direction: ActivityDirection;
  status: ActivityStatus;
  subject: string;
  from: string | null;
  to: string[];
  cc: string[];
  body: string;
  bodyType: BodyType;
  receivedAt: string | null;
  sentAt: string | null;
  queuedAt: string | null;
  trackedAt: string | null;
  exchangeItemId: string | null;
  internetMessageId: string | null;
  failureReason: string | null;
  /** Send attempts with an outcome (outgoing). */
  attempt: number;
  nextAttemptAt: string | null;
  /** List order (newest first): received time of incoming email, queue time of outgoing email. */
  sortAt: string;
  /** Last applied sequence of the activity's stream. */
  version: number;
}

const nullableString = { type: String, default: null };

export const emailActivitySchema = new Schema<EmailActivityDocument>(
  {
    _id: { type: String, required: true },
    mailboxId: String,
    direction: String,
    status: String,
    subject: String,
    from: nullableString,
    to: [String],
    cc: [String],
    body: String,
    bodyType: String,
    receivedAt: nullableString,
    sentAt: nullableString,
    queuedAt: nullableString,
    trackedAt: nullableString,
    exchangeItemId: nullableString,
    internetMessageId: nullableString,
    failureReason: nullableString,
    attempt: Number,
    nextAttemptAt: nullableString,
    sortAt: String,
    version: Number,
  },
  { versionKey: false, _id: false, strict: true },
);
// Each list filter combination leads an index ending in the cursor order (sortAt, _id).
emailActivitySchema.index({ mailboxId: 1, direction: 1, status: 1, sortAt: -1, _id: -1 });
emailActivitySchema.index({ mailboxId: 1, status: 1, sortAt: -1, _id: -1 });
emailActivitySchema.index({ mailboxId: 1, sortAt: -1, _id: -1 });
emailActivitySchema.index({ direction: 1, status: 1, sortAt: -1, _id: -1 });
emailActivitySchema.index({ status: 1, sortAt: -1, _id: -1 });
emailActivitySchema.index({ sortAt: -1, _id: -1 });
emailActivitySchema.index({ mailboxId: 1, internetMessageId: 1 });

/** B-1: one document per message a worker saw in a mailbox (id = its activity id), with its latest outcome. */
export interface TrackingLedgerDocument {
  _id: string;
  activityId: string;
  mailboxId: string;
  internetMessageId: string | null;
  exchangeItemId: string;
  /** The outcome of the latest sighting. */
  outcome: LedgerOutcome;
  reason: string;
  /** When the latest sighting was recorded. */
  at: string;
  firstSeenAt: string;
  /** True once the message became an email activity (a later Duplicate does not undo it). */
  tracked: boolean;
  trackedAt: string | null;
  /** Sightings recorded. */
  seen: number;
  history: { outcome: LedgerOutcome; reason: string; at: string }[];
  version: number;
}

export const trackingLedgerSchema = new Schema<TrackingLedgerDocument>(
  {
    _id: { type: String, required: true },
    activityId: String,
    mailboxId: String,
    internetMessageId: nullableString,
    exchangeItemId: String,
    outcome: String,
    reason: String,
    at: String,
    firstSeenAt: String,
    tracked: Boolean,
    trackedAt: nullableString,
    seen: Number,
    history: [{ _id: false, outcome: String, reason: String, at: String }],
    version: Number,
  },
  { versionKey: false, _id: false, strict: true },
);
trackingLedgerSchema.index({ mailboxId: 1, at: -1, _id: -1 });
trackingLedgerSchema.index({ mailboxId: 1, outcome: 1, at: -1, _id: -1 });
trackingLedgerSchema.index({ mailboxId: 1, internetMessageId: 1 });
