import {
  EmailAddressStatus,
  Mailbox,
  MailboxArea,
  MailboxKind,
  MailboxSettings,
  MailboxState,
  MailboxTestStatus,
  MailboxSyncState,
  SealedSecret,
  nextPollAt,
  syncOf,
} from '@ssync/domain';

/** What the API shows of a mailbox (issue #3 contract): every field but the password, which only says "set". */
export interface MailboxView {
  id: string;
  status: 'Active' | 'Inactive';
  version: number;
  kind: MailboxKind;
  name: string;
  emailAddress: string | null;
  ownerId: string;
  serverProfileId: string | null;
  incomingEmailDeliveryMethod: MailboxSettings['incomingEmailDeliveryMethod'];
  outgoingEmailDeliveryMethod: MailboxSettings['outgoingEmailDeliveryMethod'];
  actDeliveryMethod: MailboxSettings['actDeliveryMethod'];
  syncOnlyFromThisOrg: boolean;
  emailAddressStatus: EmailAddressStatus;
  credentialsUserName: string | null;
  credentialsSet: boolean;
  incomingEmailStatus: MailboxTestStatus;
  incomingEmailStatusReason: string | null;
  outgoingEmailStatus: MailboxTestStatus;
  outgoingEmailStatusReason: string | null;
  actStatus: MailboxTestStatus;
  actStatusReason: string | null;
  mailboxStatus: MailboxTestStatus;
  mailboxStatusReason: string | null;
  enabledForIncomingEmail: boolean;
  enabledForOutgoingEmail: boolean;
  enabledForAct: boolean;
  testPending: boolean;
  testId: string | null;
  testRequestedAt: string | null;
  testAreas: MailboxArea[];
  testAttempt: number;
  nextTestAttemptAt: string | null;
  /** B-5 / issue #5: how the last poll went and when the next is due. */
  lastSyncAt: string | null;
  nextSyncDueAt: string | null;
  lastSyncError: string | null;
  itemsProcessedLastSync: number;
  itemsFailedLastSync: number;
}

export function mailboxView(status: 'Active' | 'Inactive', m: Mailbox, version: number): MailboxView {
  // The sync state (the EWS cursor among it) rides on the mailbox; the view shows only its B-5 fields.
  const { mailboxId, credentials, sync: _sync, ...rest } = m as Mailbox & { sync?: MailboxSyncState };
  const sync = syncOf(m);
  // When the next poll can really start: its schedule, and not before the minimum interval after the last start.
  const next = nextPollAt(sync);
  return {
    id: mailboxId,
    status,
    version,
    ...rest,
    lastSyncAt: sync.lastSyncAt,
    nextSyncDueAt: next === null ? null : new Date(next).toISOString(),
    lastSyncError: sync.lastSyncError,
    itemsProcessedLastSync: sync.itemsProcessedLastSync,
    itemsFailedLastSync: sync.itemsFailedLastSync,
    testAreas: [...m.testAreas],
    credentialsUserName: credentials?.userName ?? null,
    credentialsSet: credentials !== null,
  };
}

export function mailboxViewFromState(state: MailboxState, version: number): MailboxView | null {
  return state.status === 'None' ? null : mailboxView(state.status, state.mailbox, version);
}

/**
 * The decider's state from a view, so a projection can evolve it. The password is not in the read model; a
 * placeholder stands for it (evolve only carries it along).
 */
export function mailboxStateFromView(v: MailboxView & { sync?: MailboxSyncState }): MailboxState {
  const {
    id,
    status,
    version: _version,
    credentialsUserName,
    credentialsSet,
    lastSyncAt: _a,
    nextSyncDueAt: _b,
    lastSyncError: _c,
    itemsProcessedLastSync: _d,
    itemsFailedLastSync: _f,
    ...fields
  } = v as MailboxView & Record<string, unknown>;
  const mailbox = { ...fields } as Record<string, unknown>;
  for (const k of [
    '_id',
    'nameLower',
    'emailLower',
    'createdAt',
    'updatedAt',
    'updatedBy',
    'opVersion',
    'sliceVersion',
  ])
    delete mailbox[k];
  return {
    status,
    mailbox: {
      ...(mailbox as unknown as Omit<Mailbox, 'mailboxId' | 'credentials'>),
      mailboxId: id,
      testAreas: [...v.testAreas],
      credentials: credentialsSet
        ? { userName: credentialsUserName ?? '', password: 'redacted' as SealedSecret }
        : null,
    },
  };
}
