import {
  ActDeliveryMethod,
  IncomingEmailDeliveryMethod,
  OutgoingEmailDeliveryMethod,
} from '../organization/types';
import { BulkEditPatch } from '../mailbox/types';

/** Bulk operations over mailboxes (SPEC M-3…M-6, P-14): process managers with their own event stream. */
export const BULK_JOB_TYPES = [
  'ApplyDefaultEmailSettings',
  'BulkEdit',
  'ApproveEmail',
  'RejectEmail',
  'TestAndEnable',
  'ReassignProfile',
  'DeactivateMailboxes',
] as const;
export type BulkJobType = (typeof BULK_JOB_TYPES)[number];

export const BULK_JOB_STATUSES = ['Running', 'Completed', 'Failed'] as const;
export type BulkJobStatus = (typeof BULK_JOB_STATUSES)[number];

export const MAX_BULK_MAILBOXES = 10_000;

/** What each job type needs to build its per-mailbox commands; fixed when the job starts (resumes repeat it). */
export type BulkJobParameters =
  | {
      type: 'ApplyDefaultEmailSettings';
      defaults: {
        defaultServerProfileId: string;
        incomingEmailDeliveryMethod: IncomingEmailDeliveryMethod;
        outgoingEmailDeliveryMethod: OutgoingEmailDeliveryMethod;
        actDeliveryMethod: ActDeliveryMethod;
      };
      testAndEnable: boolean;
    }
  | { type: 'BulkEdit'; changes: BulkEditPatch }
  | { type: 'ApproveEmail' }
  | { type: 'RejectEmail' }
  | { type: 'TestAndEnable' }
  | { type: 'ReassignProfile'; fromProfileId: string; toProfileId: string; testAndEnable: boolean }
  | { type: 'DeactivateMailboxes' };

export const BULK_ITEM_OUTCOMES = ['Done', 'Refused'] as const;
export type BulkItemOutcome = (typeof BULK_ITEM_OUTCOMES)[number];

export interface BulkItemResult {
  mailboxId: string;
  outcome: BulkItemOutcome;
  reason?: string;
}
