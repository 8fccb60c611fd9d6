import { MailboxState } from './decider';
import { isRoutineSyncEvent, mailboxOperational } from './operational';
import { MailboxSyncState, emptySync } from './sync';
import { Mailbox } from './types';

const mailbox = (sync: Partial<MailboxSyncState>): MailboxState => ({
  status: 'Active',
  mailbox: { mailboxId: 'm1', sync: { ...emptySync(), ...sync } } as unknown as Mailbox,
});
const polled = { trackFrom: '2026-01-01T00:00:00.000Z', polls: 3 };
const synced = { type: 'MailboxSynced', data: { poll: 4 } };
const failed = (reason: string, disabled = false) => ({
  type: 'MailboxSyncFailed',
  data: { poll: 4, reason, disabled },
});

describe('isRoutineSyncEvent (docs/adr/0010)', () => {
  it('a poll claim and a quiet poll leave no audited trace', () => {
    expect(isRoutineSyncEvent({ type: 'MailboxPollStarted', data: {} }, mailbox(polled))).toBe(true);
    expect(isRoutineSyncEvent(synced, mailbox(polled))).toBe(true);
  });

  it('the first poll (where tracking began) and a recovery are audited', () => {
    expect(isRoutineSyncEvent(synced, mailbox({}))).toBe(false);
    expect(isRoutineSyncEvent(synced, mailbox({ ...polled, lastSyncError: 'ErrorServerBusy: busy' }))).toBe(
      false,
    );
  });

  it('a failure is audited when it starts, when its reason changes and when it disables; a repeat is not', () => {
    expect(isRoutineSyncEvent(failed('timeout: no answer'), mailbox(polled))).toBe(false);
    const failing = mailbox({ ...polled, lastSyncError: 'timeout: no answer' });
    expect(isRoutineSyncEvent(failed('timeout: no answer'), failing)).toBe(true);
    expect(isRoutineSyncEvent(failed('ErrorServerBusy: busy'), failing)).toBe(false);
    expect(isRoutineSyncEvent(failed('timeout: no answer', true), failing)).toBe(false);
  });

  it('a cursor reset and every other mailbox event are audited', () => {
    expect(isRoutineSyncEvent({ type: 'MailboxSyncReset', data: {} }, mailbox(polled))).toBe(false);
    expect(isRoutineSyncEvent({ type: 'MailboxUpdated', data: {} }, mailbox(polled))).toBe(false);
    expect(isRoutineSyncEvent({ type: 'MailboxPollStarted', data: {} }, { status: 'None' })).toBe(false);
  });

  it('the slice is the sync state, and replacing it leaves the rest of the mailbox alone', () => {
    const state = mailbox(polled);
    const slice = { ...emptySync(), polls: 9, syncState: 'cursor-9' };
    const next = mailboxOperational.withSlice(state, slice);
    expect(mailboxOperational.slice(next)).toEqual(slice);
    expect(next.status === 'Active' && next.mailbox.mailboxId).toBe('m1');
    expect(mailboxOperational.slice({ status: 'None' })).toBeNull();
    expect(mailboxOperational.touchesSlice('MailboxSynced')).toBe(true);
    expect(mailboxOperational.touchesSlice('MailboxUpdated')).toBe(false);
  });
});
