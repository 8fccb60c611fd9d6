import { Schema } from 'mongoose';
import { AlertLevel } from '@ssync/domain';

/**
 * Who an alert is for. A mailbox owner's alerts name the owner as it was when the alert was raised (it is in
 * the mailbox's own stream). The profile owner is resolved when the wall is read, from the profile: the mailbox
 * stream does not know it, and reading it across streams while projecting would make a replay depend on the order
 * in which partitions are consumed.
 */
export type AlertAudience = 'MailboxOwner' | 'ProfileOwner';

/** An alert raised by a mailbox's events; written only by that mailbox's stream (one writer, in order). */
export interface AlertDocument {
  /** Deterministic: a hash of audience, owner, mailbox, level and message (rebuilds give the same ids). */
  _id: string;
  audience: AlertAudience;
  /** The mailbox owner for MailboxOwner alerts; null for ProfileOwner alerts (resolved when read). */
  userId: string | null;
  level: AlertLevel;
  message: string;
  mailboxId: string;
  profileId: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  count: number;
  /** Last mailbox event applied: a redelivered event does not count twice. */
  lastSequence: number;
}

export const alertSchema = new Schema<AlertDocument>(
  {
    _id: { type: String, required: true },
    audience: String,
    userId: { type: String, default: null },
    level: String,
    message: String,
    mailboxId: String,
    profileId: { type: String, default: null },
    firstSeenAt: String,
    lastSeenAt: String,
    count: Number,
    lastSequence: Number,
  },
  { versionKey: false, _id: false, strict: true },
);
alertSchema.index({ audience: 1, userId: 1, lastSeenAt: -1, _id: -1 });
alertSchema.index({ audience: 1, profileId: 1, lastSeenAt: -1, _id: -1 });
alertSchema.index({ mailboxId: 1 });

/** What the alert projection keeps of a mailbox, from its own stream: who owns it, which profile it is on. */
export interface AlertSubjectDocument {
  _id: string;
  ownerId: string;
  profileId: string | null;
  name: string;
  emailAddress: string | null;
  active: boolean;
  version: number;
}

export const alertSubjectSchema = new Schema<AlertSubjectDocument>(
  {
    _id: { type: String, required: true },
    ownerId: String,
    profileId: { type: String, default: null },
    name: String,
    emailAddress: { type: String, default: null },
    active: Boolean,
    version: Number,
  },
  { versionKey: false, _id: false, strict: true },
);
alertSubjectSchema.index({ profileId: 1, active: 1 });
alertSubjectSchema.index({ ownerId: 1, active: 1 });

/**
 * A mailbox that failed (Test & Enable or a poll) within one clock hour, per profile: the input of "more than half
 * of a profile's mailboxes failed within an hour". One document per (profile, hour, mailbox), written only
 * by the mailbox's stream; the condition is evaluated when the wall is read, so it does not depend on the order
 * in which partitions are replayed.
 */
export interface ProfileFailureDocument {
  /** `${profileId}:${hour}:${mailboxId}` */
  _id: string;
  profileId: string;
  mailboxId: string;
  /** Start of the clock hour (UTC, ISO 8601). */
  hour: string;
  firstAt: string;
  lastAt: string;
  lastSequence: number;
}

export const profileFailureSchema = new Schema<ProfileFailureDocument>(
  {
    _id: { type: String, required: true },
    profileId: String,
    mailboxId: String,
    hour: String,
    firstAt: String,
    lastAt: String,
    lastSequence: Number,
  },
  { versionKey: false, _id: false, strict: true },
);
profileFailureSchema.index({ profileId: 1, hour: -1 });

/** A dismissal (from the alert's own stream): the alert counts as dismissed while lastSeenAt ≤ through. */
export interface AlertDismissalDocument {
  _id: string;
  userId: string;
  through: string;
  dismissedAt: string;
  version: number;
}

export const alertDismissalSchema = new Schema<AlertDismissalDocument>(
  {
    _id: { type: String, required: true },
    userId: String,
    through: String,
    dismissedAt: String,
    version: Number,
  },
  { versionKey: false, _id: false, strict: true },
);
