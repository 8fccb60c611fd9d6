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

/** Sorts the list offers, as `field` → stored key. */
export const MAILBOX_SORT_KEYS = {
  name: 'nameLower',
  emailAddress: 'emailLower',
  updatedAt: 'updatedAt',
  createdAt: 'createdAt',
} as const;

// The API lists mailboxes from its own directory (docs/adr/0004, addendum), not from here: this view serves
// rebuilds, checksums and operators. Two indexes serve an operator's usual queries; each further one made every
// write of a mailbox document cost more (on FerretDB v1 each is a PostgreSQL expression index, and a rewritten
// document updates all of them: 15 did, issue #12).
mailboxSchema.index({ status: 1, nameLower: 1, _id: 1 });
mailboxSchema.index({ serverProfileId: 1, status: 1, nameLower: 1, _id: 1 });

/**
 * The sync fields every poll moves (docs/adr/0010, addendum): the stored ones may be up to a heartbeat old. The
 * item counts are among them: a poll that tracked mail and the next one, which tracked none, would otherwise each
 * rewrite the document (the API shows them live from its directory).
 */
const POLL_HEARTBEAT_FIELDS = [
  'lastSyncAt',
  'nextSyncDueAt',
  'itemsProcessedLastSync',
  'itemsFailedLastSync',
  'opVersion',
  'sliceVersion',
] as const;
const POLL_HEARTBEAT_SYNC_FIELDS = [
  'syncState',
  'lastSyncAt',
  'nextSyncDueAt',
  'itemsProcessedLastSync',
  'itemsFailedLastSync',
  'polls',
  'lastPollStartedAt',
  'lastPollStartedBy',
  'nextPollNotBefore',
] as const;

/**
 * A mailbox document without what every poll moves: what a quiet poll leaves unwritten, and what checksums
 * compare (two versions built at different moments agree on everything else).
 */
export function withoutPollHeartbeat<T extends Record<string, unknown>>(doc: T): Record<string, unknown> {
  const out: Record<string, unknown> = { ...doc };
  for (const k of POLL_HEARTBEAT_FIELDS) delete out[k];
  const sync = doc.sync;
  if (sync !== null && typeof sync === 'object') {
    const kept: Record<string, unknown> = { ...(sync as Record<string, unknown>) };
    for (const k of POLL_HEARTBEAT_SYNC_FIELDS) delete kept[k];
    out.sync = kept;
  }
  return out;
}
