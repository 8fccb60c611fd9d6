import { Schema } from 'mongoose';
import { MailboxSyncState } from '@ssync/domain';
import { MailboxView } from './mailbox-view';

/** Mailbox status view (SPEC M-1, M-2): the view plus sort keys and bookkeeping. */
export interface MailboxDocument extends MailboxView {
  _id: string;
  /** Sort and search keys: lower-cased, '' when empty (so cursors compare strings only). */
  nameLower: string;
  emailLower: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
  /** The whole incoming-sync state (cursor included), so the projection can evolve the mailbox; not in the API. */
  sync?: MailboxSyncState;
  /** The audited version of the last operational record applied (-1: none) and the one `sync` reflects. */
  opVersion?: number;
  sliceVersion?: number;
}

const nullableString = { type: String, default: null };

export const mailboxSchema = new Schema<MailboxDocument>(
  {
    _id: { type: String, required: true },
    id: String,
    status: String,
    version: Number,
    kind: String,
    name: String,
    nameLower: String,
    emailAddress: nullableString,
    emailLower: String,
    ownerId: String,
    serverProfileId: nullableString,
    incomingEmailDeliveryMethod: String,
    outgoingEmailDeliveryMethod: String,
    actDeliveryMethod: String,
    syncOnlyFromThisOrg: Boolean,
    emailAddressStatus: String,
    credentialsUserName: nullableString,
    credentialsSet: Boolean,
    incomingEmailStatus: String,
    incomingEmailStatusReason: nullableString,
    outgoingEmailStatus: String,
    outgoingEmailStatusReason: nullableString,
    actStatus: String,
    actStatusReason: nullableString,
    mailboxStatus: String,
    mailboxStatusReason: nullableString,
    enabledForIncomingEmail: Boolean,
    enabledForOutgoingEmail: Boolean,
    enabledForAct: Boolean,
    testPending: Boolean,
    testId: nullableString,
    testRequestedAt: nullableString,
    testAreas: [String],
    testAttempt: Number,
    nextTestAttemptAt: nullableString,
    createdAt: String,
    updatedAt: String,
    updatedBy: String,
    opVersion: Number,
    sliceVersion: Number,
  },
  { versionKey: false, _id: false, strict: true },
);

/** Filters the list offers (M-2); each leads an index that ends in the default sort (name, id). */
export const MAILBOX_FILTER_FIELDS = [
  'serverProfileId',
  'kind',
  'ownerId',
  'emailAddressStatus',
  'incomingEmailStatus',
  'outgoingEmailStatus',
  'actStatus',
  'mailboxStatus',
  'enabledForIncomingEmail',
  'enabledForOutgoingEmail',
  'enabledForAct',
] as const;

/** Sorts the list offers, as `field` → stored key. */
export const MAILBOX_SORT_KEYS = {
  name: 'nameLower',
  emailAddress: 'emailLower',
  updatedAt: 'updatedAt',
  createdAt: 'createdAt',
} as const;

mailboxSchema.index({ status: 1, nameLower: 1, _id: 1 });
for (const key of Object.values(MAILBOX_SORT_KEYS)) {
  if (key !== 'nameLower') mailboxSchema.index({ status: 1, [key]: 1, _id: 1 });
}
for (const field of MAILBOX_FILTER_FIELDS)
  mailboxSchema.index({ [field]: 1, status: 1, nameLower: 1, _id: 1 });
