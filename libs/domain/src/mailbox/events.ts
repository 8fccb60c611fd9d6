import { SealedSecret } from '../shared/decider';
import { MailboxSyncEvent } from './sync';
import {
  EmailAddressStatus,
  ErrorClass,
  MailboxArea,
  MailboxCredentials,
  MailboxKind,
  MailboxSettings,
  MailboxSettingsPatch,
  MailboxTestStatus,
} from './types';

/** The outcome of one area in a test attempt, as it now stands on the mailbox. */
export interface AreaOutcome {
  /** NotRun: an area this version does not synchronize (ACT_NOT_SYNCHRONIZED), never an Exchange answer. */
  status: MailboxTestStatus;
  reason: string | null;
  errorClass: ErrorClass | null;
  enabled: boolean;
}

/**
 * Event payloads; the envelope (sequence, actor, time, ids) is added by libs/messaging. Events carry the
 * decided values (statuses, resets, retry schedule), never a rule to re-run, so replay does not depend on the
 * policy in the code at replay time.
 */
export type MailboxEvent =
  | {
      type: 'MailboxProvisioned';
      data: {
        mailboxId: string;
        kind: MailboxKind;
        settings: MailboxSettings;
        emailAddressStatus: EmailAddressStatus;
      };
    }
  | {
      type: 'MailboxUpdated';
      data: {
        mailboxId: string;
        changes: MailboxSettingsPatch;
        /** Present when the address change reset the approval. */
        emailAddressStatus?: EmailAddressStatus;
        /** Areas whose test outcome no longer holds: back to NotRun and disabled; a pending test is dropped. */
        resetAreas: MailboxArea[];
      };
    }
  | {
      type: 'MailboxCredentialsSet';
      data: { mailboxId: string; credentials: MailboxCredentials | null; resetAreas: MailboxArea[] };
    }
  | { type: 'MailboxEmailApproved'; data: { mailboxId: string; emailAddress: string } }
  | { type: 'MailboxEmailRejected'; data: { mailboxId: string; emailAddress: string } }
  | {
      type: 'TestRequested';
      data: { mailboxId: string; testId: string; requestedAt: string; areas: MailboxArea[] };
    }
  | {
      type: 'MailboxTestCompleted';
      data: {
        mailboxId: string;
        testId: string;
        attempt: number;
        completedAt: string;
        /** One entry per tested area. */
        areas: Partial<Record<MailboxArea, AreaOutcome>>;
        mailboxStatus: MailboxTestStatus;
        mailboxStatusReason: string | null;
        /** Set when transient failures are retried: the worker runs `attempt` on `areas` at `nextAttemptAt`. */
        retry: { attempt: number; nextAttemptAt: string; areas: MailboxArea[] } | null;
        /** True when transient failures ran out of retries and now count as permanent (disabled). */
        retriesExhausted: boolean;
      };
    }
  | {
      type: 'MailboxProfileReassigned';
      data: { mailboxId: string; fromProfileId: string; toProfileId: string; resetAreas: MailboxArea[] };
    }
  | { type: 'MailboxDeactivated'; data: { mailboxId: string } }
  /** The same password under key `keyId` (docs/adr/0019): no test outcome is reset, nothing else changes. */
  | { type: 'MailboxCredentialsResealed'; data: { mailboxId: string; keyId: string; password: SealedSecret } }
  | MailboxSyncEvent;

export type MailboxEventType = MailboxEvent['type'];
