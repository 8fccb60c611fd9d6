import { MailboxState } from './decider';
import { MailboxEvent } from './events';
import { MailboxSyncState, syncOf } from './sync';
import { Mailbox } from './types';

const SYNC_EVENT_TYPES: ReadonlySet<string> = new Set<MailboxEvent['type']>([
  'MailboxPollStarted',
  'MailboxSynced',
  'MailboxSyncFailed',
  'MailboxSyncReset',
]);

/**
 * Whether a sync event, decided on `before`, is routine: it leaves no trace in the audited mailbox log and lives
 * only in the mailbox's operational state (docs/adr/0010). What an administrator or auditor looks for stays
 * audited: the first successful poll (where tracking began), a recovery, the first failure and each change of its
 * reason (throttling included), a disable, and a cursor reset. Claims and repeats of the same outcome are routine.
 */
export function isRoutineSyncEvent(event: { type: string; data: unknown }, before: MailboxState): boolean {
  if (before.status === 'None' || !SYNC_EVENT_TYPES.has(event.type)) return false;
  const sync = syncOf(before.mailbox);
  const e = event as MailboxEvent;
  // An if-chain: every other mailbox event (a cursor reset included) is audited.
  if (e.type === 'MailboxPollStarted') return true;
  if (e.type === 'MailboxSynced')
    return sync.lastSyncError === null && sync.trackFrom !== null && sync.polls > 0;
  if (e.type === 'MailboxSyncFailed') return !e.data.disabled && sync.lastSyncError === e.data.reason;
  return false;
}

/** The mailbox's operational slice: its sync state (cursor, claim, schedule, last outcome). */
export const mailboxOperational = {
  slice: (state: MailboxState): MailboxSyncState | null =>
    state.status === 'None' ? null : syncOf(state.mailbox),
  withSlice: (state: MailboxState, slice: unknown): MailboxState =>
    state.status === 'None'
      ? state
      : {
          ...state,
          mailbox: { ...state.mailbox, sync: slice as MailboxSyncState } as Mailbox,
        },
  touchesSlice: (eventType: string): boolean => SYNC_EVENT_TYPES.has(eventType),
  isOperational: isRoutineSyncEvent,
};
