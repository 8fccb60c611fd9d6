import { CommandMeta } from '../shared/decider';
import { BodyType, MessageOutcome, SendRetryPolicy } from './types';

type A = CommandMeta & { activityId: string };

export type SendOutcome =
  /** The ids may be '' or null when Exchange does not report them (SendAndSaveCopy returns no item). */
  | { kind: 'Sent'; exchangeItemId: string | null; internetMessageId: string | null; sentAt: string }
  | { kind: 'Failed'; reason: string; transient: boolean };

export type ActivityCommand =
  /**
   * S-1. The worker derives `activityId` from the mailbox and the message (see `incomingEmailActivityId`), so a
   * message seen again maps to the same activity and is not tracked twice.
   */
  | (A & {
      type: 'TrackIncomingEmail';
      mailboxId: string;
      exchangeItemId: string;
      internetMessageId: string | null;
      subject: string;
      from: string;
      to: string[];
      cc: string[];
      body: string;
      bodyType: BodyType;
      receivedAt: string;
      sentAt?: string | null;
    })
  /** B-1: a message seen and not tracked (or seen again), with why. */
  | (A & {
      type: 'RecordMessageOutcome';
      mailboxId: string;
      exchangeItemId: string;
      internetMessageId: string | null;
      outcome: MessageOutcome;
      reason: string;
    })
  /** S-3: an email queued in the CRM for sending from a mailbox. `from` is the mailbox's address when known. */
  | (A & {
      type: 'QueueOutgoingEmail';
      mailboxId: string;
      from?: string | null;
      to: string[];
      cc: string[];
      subject: string;
      body: string;
      bodyType: BodyType;
    })
  /**
   * S-3 exactly once: a worker claims send attempt `attempt` (the next one) until `claimUntil` before it sends,
   * and sends only under an accepted, live claim. Another claimant is refused while the claim is live; the same
   * claimant may claim again (extend). `claimant` names one worker process.
   */
  | (A & {
      type: 'ClaimSend';
      attempt: number;
      claimant: string;
      /** ISO 8601 instant after `issuedAt`: by then every request of the claimant's send has ended. */
      claimUntil: string;
    })
  /** S-3: the outcome of send attempt `attempt` (1 for the first). Repeated or late outcomes change nothing. */
  | (A & {
      type: 'RecordSendOutcome';
      attempt: number;
      outcome: SendOutcome;
      /**
       * Who made the attempt (its `ClaimSend` claimant). When that is the live claim's holder, its send has ended
       * with this outcome, so the claim does not hold the next attempt back. Absent: as if another worker's.
       */
      claimant?: string;
      /** Defaults to SEND_RETRY_POLICY. */
      policy?: SendRetryPolicy;
    });

export type ActivityCommandType = ActivityCommand['type'];
