import { BodyType, MessageOutcome } from './types';

/** Event payloads; the envelope (sequence, actor, time, ids) is added by libs/messaging. */
export type ActivityEvent =
  | {
      type: 'IncomingEmailTracked';
      data: {
        activityId: string;
        mailboxId: string;
        exchangeItemId: string;
        internetMessageId: string | null;
        subject: string;
        from: string;
        to: string[];
        cc: string[];
        body: string;
        bodyType: BodyType;
        /** ISO 8601 in UTC (normalized). */
        receivedAt: string;
        sentAt: string | null;
        trackedAt: string;
      };
    }
  | {
      type: 'MessageOutcomeRecorded';
      data: {
        activityId: string;
        mailboxId: string;
        exchangeItemId: string;
        internetMessageId: string | null;
        outcome: MessageOutcome;
        reason: string;
        at: string;
      };
    }
  | {
      type: 'OutgoingEmailQueued';
      data: {
        activityId: string;
        mailboxId: string;
        from: string | null;
        to: string[];
        cc: string[];
        subject: string;
        body: string;
        bodyType: BodyType;
        queuedAt: string;
      };
    }
  | {
      type: 'OutgoingEmailSendClaimed';
      data: {
        activityId: string;
        attempt: number;
        /** The worker process that may send this attempt until `claimUntil`. */
        claimant: string;
        claimedAt: string;
        claimUntil: string;
      };
    }
  | {
      type: 'OutgoingEmailSent';
      data: {
        activityId: string;
        attempt: number;
        /** null when Exchange did not report them. */
        exchangeItemId: string | null;
        internetMessageId: string | null;
        sentAt: string;
      };
    }
  | {
      type: 'OutgoingEmailSendFailed';
      data: {
        activityId: string;
        attempt: number;
        reason: string;
        transient: boolean;
        failedAt: string;
        /** When the worker retries; null = the email is Failed for good. */
        nextAttemptAt: string | null;
        /** True when transient failures ran out of retries. */
        retriesExhausted: boolean;
      };
    };

export type ActivityEventType = ActivityEvent['type'];
