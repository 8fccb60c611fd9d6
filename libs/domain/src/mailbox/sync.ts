import { Mailbox } from './types';

/**
 * Incoming synchronization of one mailbox (S-1, S-6, B-5): where the last poll left the Exchange sync cursor, when
 * the next poll is due, and how the last one went. Kept on the mailbox so that a new owner of the mailbox's
 * partition resumes where the old one stopped.
 */
export interface MailboxSyncState {
  /** The EWS SyncFolderItems state after the last recorded page; null = start from the beginning. */
  syncState: string | null;
  /** Email received before this instant is not tracked (Process Email From, or the moment tracking began). */
  trackFrom: string | null;
  lastSyncAt: string | null;
  nextSyncDueAt: string | null;
  lastSyncError: string | null;
  itemsProcessedLastSync: number;
  itemsFailedLastSync: number;
  /** Transient failures in a row; reset by a successful poll. */
  consecutiveFailures: number;
  /** Polls recorded so far (a fencing token for outcomes: an outcome names the poll it continues). */
  polls: number;
  /** When the last poll was started (claimed) by a worker, and by whom (B-5). */
  lastPollStartedAt: string | null;
  lastPollStartedBy: string | null;
  /**
   * No poll may start before this instant (P-10): set when a poll starts, to its start plus the minimum interval.
   * It lives in the aggregate, not in a worker, so a new owner of the mailbox (a rebalance, a dead worker) cannot
   * poll again sooner than the interval after a poll of the old owner that was still running when it took over.
   */
  nextPollNotBefore: string | null;
}

export const SYNC_POLICY = {
  /** Transient poll failures in a row after which the error is treated as permanent (M-6, S-6). */
  maxConsecutiveTransientFailures: 10,
} as const;

export const emptySync = (): MailboxSyncState => ({
  syncState: null,
  trackFrom: null,
  lastSyncAt: null,
  nextSyncDueAt: null,
  lastSyncError: null,
  itemsProcessedLastSync: 0,
  itemsFailedLastSync: 0,
  consecutiveFailures: 0,
  polls: 0,
  lastPollStartedAt: null,
  lastPollStartedBy: null,
  nextPollNotBefore: null,
});

export function syncOf(mailbox: Mailbox): MailboxSyncState {
  const sync = (mailbox as Mailbox & { sync?: Partial<MailboxSyncState> }).sync;
  if (!sync) return emptySync();
  // States folded from events written before poll starts were recorded lack the poll-start fields (read on every
  // tick for every mailbox: no copy unless one is missing).
  return sync.nextPollNotBefore === undefined ? { ...emptySync(), ...sync } : (sync as MailboxSyncState);
}

/** The earliest instant the next poll of a mailbox may start: its schedule, and never before the P-10 floor. */
export function nextPollAt(sync: MailboxSyncState): number | null {
  const due = sync.nextSyncDueAt === null ? null : Date.parse(sync.nextSyncDueAt);
  const floor = sync.nextPollNotBefore === null ? null : Date.parse(sync.nextPollNotBefore);
  if (due === null) return floor;
  return floor === null ? due : Math.max(due, floor);
}

export type SyncOutcome =
  | {
      kind: 'Synced';
      syncState: string;
      itemsProcessed: number;
      itemsFailed: number;
      /** Set on the first poll: the cut-off below which email is not tracked. */
      trackFrom?: string;
    }
  /**
   * `Throttled` (S-5: ErrorServerBusy and its kin) is Exchange asking to slow down, not the mailbox failing: it is
   * retried and warned about, never counted towards disabling the mailbox.
   */
  | { kind: 'Failed'; errorClass: 'Transient' | 'Permanent' | 'Throttled'; reason: string }
  /** The server no longer accepts the cursor: start over (a full re-sync that creates no duplicates). */
  | { kind: 'CursorInvalid'; reason: string };

export type MailboxSyncEvent =
  | {
      type: 'MailboxSynced';
      data: {
        mailboxId: string;
        poll: number;
        syncState: string;
        trackFrom: string | null;
        syncedAt: string;
        nextSyncDueAt: string;
        itemsProcessed: number;
        itemsFailed: number;
        /** The claim's floor narrowed to the request's real start plus the interval (absent: unchanged). */
        nextPollNotBefore?: string;
      };
    }
  | {
      type: 'MailboxSyncFailed';
      data: {
        mailboxId: string;
        poll: number;
        failedAt: string;
        nextSyncDueAt: string | null;
        reason: string;
        consecutiveFailures: number;
        /** Permanent (or transient too long): incoming email is disabled with this reason. */
        disabled: boolean;
      };
    }
  | {
      type: 'MailboxSyncReset';
      data: { mailboxId: string; poll: number; resetAt: string; nextSyncDueAt: string; reason: string };
    }
  | {
      type: 'MailboxPollStarted';
      data: {
        mailboxId: string;
        /** The poll being started (`polls` before it); its outcome will record poll + 1. */
        poll: number;
        startedAt: string;
        startedBy: string;
        nextPollNotBefore: string;
      };
    };

export type MailboxSyncCommand =
  | {
      type: 'RecordSyncOutcome';
      mailboxId: string;
      commandId: string;
      actor: string;
      issuedAt: string;
      /** `polls` as the worker read it when the poll began: an outcome of a stale poll is ignored. */
      poll: number;
      outcome: SyncOutcome;
      nextSyncDueAt: string;
      /**
       * When the claimed poll's first request went out (the worker sends when its answer came: no earlier), and
       * the minimum interval (P-10): the floor becomes that instant plus the interval, no longer the claim's
       * conservative one (its time plus the slack it allowed). Ignored unless it lies inside the claim's window.
       */
      requestedAt?: string;
      minIntervalMs?: number;
    }
  /**
   * A worker claims a poll just before its first Exchange request (P-10, S-7). Accepted (one MailboxPollStarted)
   * only when `poll` is still current and the previous start's floor has passed at `issuedAt` (or at `notBefore`,
   * the start a claim made ahead reserves); otherwise nothing
   * happens and the worker must not call Exchange. The worker calls Exchange only if the claim came back within
   * its own slack, and adds that slack to `minIntervalMs`, so two requests that start polls are never closer than
   * the interval — whichever workers make them.
   */
  | {
      type: 'StartPoll';
      mailboxId: string;
      commandId: string;
      actor: string;
      issuedAt: string;
      poll: number;
      /** The profile's minimum interval (or the worker's floor), plus the worker's slack, in ms. */
      minIntervalMs: number;
      /**
       * A claim made ahead of the poll's due time: the start it reserves (the worker sends no request before it).
       * The claim is judged, and its floor counted, from this instant instead of `issuedAt`; at most
       * {@link MAX_POLL_CLAIM_AHEAD_MS} ahead of `issuedAt`.
       */
      notBefore?: string;
    };

/**
 * How far ahead of its start a poll may be claimed: enough for the claim's transaction (a few hundred ms), short
 * enough that a claim still says which worker is about to poll.
 */
export const MAX_POLL_CLAIM_AHEAD_MS = 5_000;

/** Decides whether a poll may start now (see the StartPoll command). */
export function decidePollStart(
  mailbox: Mailbox,
  command: Extract<MailboxSyncCommand, { type: 'StartPoll' }>,
): MailboxSyncEvent[] {
  const sync = syncOf(mailbox);
  if (command.poll !== sync.polls) return [];
  const issued = Date.parse(command.issuedAt);
  const ahead = command.notBefore === undefined ? issued : Date.parse(command.notBefore);
  if (!Number.isFinite(ahead) || ahead > issued + MAX_POLL_CLAIM_AHEAD_MS) return [];
  const at = Math.max(issued, ahead);
  if (sync.nextPollNotBefore !== null && at < Date.parse(sync.nextPollNotBefore)) return [];
  if (!Number.isFinite(command.minIntervalMs) || command.minIntervalMs < 0) return [];
  return [
    {
      type: 'MailboxPollStarted',
      data: {
        mailboxId: mailbox.mailboxId,
        poll: sync.polls,
        startedAt: at === issued ? command.issuedAt : new Date(at).toISOString(),
        startedBy: command.actor,
        nextPollNotBefore: new Date(at + command.minIntervalMs).toISOString(),
      },
    },
  ];
}

/** Decides a poll's outcome for an active mailbox. */
export function decideSyncOutcome(
  mailbox: Mailbox,
  command: Extract<MailboxSyncCommand, { type: 'RecordSyncOutcome' }>,
): MailboxSyncEvent[] {
  const sync = syncOf(mailbox);
  // Another owner (or an earlier attempt of this one) already recorded a later poll: nothing to do.
  if (command.poll !== sync.polls) return [];
  const poll = sync.polls + 1;
  const { outcome } = command;
  switch (outcome.kind) {
    case 'Synced': {
      const floor = narrowedFloor(sync, command);
      return [
        {
          type: 'MailboxSynced',
          data: {
            mailboxId: mailbox.mailboxId,
            poll,
            syncState: outcome.syncState,
            trackFrom: sync.trackFrom ?? outcome.trackFrom ?? null,
            syncedAt: command.issuedAt,
            nextSyncDueAt: command.nextSyncDueAt,
            itemsProcessed: outcome.itemsProcessed,
            itemsFailed: outcome.itemsFailed,
            ...(floor === null ? {} : { nextPollNotBefore: floor }),
          },
        },
      ];
    }
    case 'CursorInvalid':
      return [
        {
          type: 'MailboxSyncReset',
          data: {
            mailboxId: mailbox.mailboxId,
            poll,
            resetAt: command.issuedAt,
            nextSyncDueAt: command.nextSyncDueAt,
            reason: outcome.reason,
          },
        },
      ];
    case 'Failed': {
      const consecutive = sync.consecutiveFailures + (outcome.errorClass === 'Throttled' ? 0 : 1);
      const disabled =
        outcome.errorClass === 'Permanent' || consecutive >= SYNC_POLICY.maxConsecutiveTransientFailures;
      return [
        {
          type: 'MailboxSyncFailed',
          data: {
            mailboxId: mailbox.mailboxId,
            poll,
            failedAt: command.issuedAt,
            nextSyncDueAt: disabled ? null : command.nextSyncDueAt,
            reason: outcome.reason,
            consecutiveFailures: consecutive,
            disabled,
          },
        },
      ];
    }
  }
}

/**
 * The floor P-10 needs once the poll's first request is known to have gone out at `requestedAt`: that instant plus
 * the interval. Only ever lower than the claim's floor (which allowed for the claim's slack), and only for a
 * request the claim covers: sent at or after the claim, and before the claim's floor less the interval.
 */
function narrowedFloor(
  sync: MailboxSyncState,
  command: Extract<MailboxSyncCommand, { type: 'RecordSyncOutcome' }>,
): string | null {
  if (command.requestedAt === undefined || command.minIntervalMs === undefined) return null;
  if (sync.lastPollStartedAt === null || sync.nextPollNotBefore === null) return null;
  const requested = Date.parse(command.requestedAt);
  const claimed = Date.parse(sync.lastPollStartedAt);
  const floor = Date.parse(sync.nextPollNotBefore);
  const interval = command.minIntervalMs;
  if (!Number.isFinite(requested) || !Number.isFinite(interval) || interval < 0) return null;
  if (requested < claimed || requested + interval >= floor) return null;
  return new Date(requested + interval).toISOString();
}

/** Applies a sync event to a mailbox in place (the caller copies it). */
export function evolveSync(mailbox: Mailbox, event: MailboxSyncEvent): void {
  const sync = { ...syncOf(mailbox) };
  if (event.type === 'MailboxPollStarted') {
    sync.lastPollStartedAt = event.data.startedAt;
    sync.lastPollStartedBy = event.data.startedBy;
    sync.nextPollNotBefore = event.data.nextPollNotBefore;
    (mailbox as Mailbox & { sync?: MailboxSyncState }).sync = sync;
    return;
  }
  switch (event.type) {
    case 'MailboxSynced':
      sync.syncState = event.data.syncState;
      sync.trackFrom = event.data.trackFrom;
      sync.lastSyncAt = event.data.syncedAt;
      sync.nextSyncDueAt = event.data.nextSyncDueAt;
      sync.lastSyncError = null;
      sync.itemsProcessedLastSync = event.data.itemsProcessed;
      sync.itemsFailedLastSync = event.data.itemsFailed;
      sync.consecutiveFailures = 0;
      if (event.data.nextPollNotBefore !== undefined) sync.nextPollNotBefore = event.data.nextPollNotBefore;
      break;
    case 'MailboxSyncReset':
      sync.syncState = null;
      sync.nextSyncDueAt = event.data.nextSyncDueAt;
      sync.lastSyncError = event.data.reason;
      break;
    case 'MailboxSyncFailed':
      sync.lastSyncAt = event.data.failedAt;
      sync.nextSyncDueAt = event.data.nextSyncDueAt;
      sync.lastSyncError = event.data.reason;
      sync.consecutiveFailures = event.data.consecutiveFailures;
      if (event.data.disabled) {
        mailbox.enabledForIncomingEmail = false;
        mailbox.incomingEmailStatus = 'Failure';
        mailbox.incomingEmailStatusReason = event.data.reason;
        mailbox.mailboxStatus = 'Failure';
        mailbox.mailboxStatusReason = event.data.reason;
      }
      break;
  }
  sync.polls = event.data.poll;
  (mailbox as Mailbox & { sync?: MailboxSyncState }).sync = sync;
}

/**
 * Whether the worker should poll this mailbox for incoming email (S-1): active, incoming by server-side
 * synchronization, enabled by a successful test, and approved where the organization requires it.
 */
export function shouldPoll(mailbox: Mailbox, approvalRequired: boolean): boolean {
  return (
    mailbox.incomingEmailDeliveryMethod === 'ServerSideSync' &&
    mailbox.enabledForIncomingEmail &&
    mailbox.emailAddress !== null &&
    (!approvalRequired || mailbox.emailAddressStatus === 'Approved')
  );
}
