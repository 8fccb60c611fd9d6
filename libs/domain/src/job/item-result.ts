import { BulkItemResult, BulkJobType } from './types';

/** How the mailbox owner answered one of a job's per-mailbox commands. */
export interface ItemReply {
  accepted: boolean;
  /** The command id was decided before (a resumed job sends it again): it did its work the first time. */
  duplicate: boolean;
  /** It wrote at least one event. */
  changed: boolean;
  /** Why it was refused, when it was. */
  refusal: string | null;
}

/**
 * Why an accepted command changed nothing, when the administrator should be told. Only Deactivate says so: its
 * single endpoint answers the same no-op as "already inactive", and a bulk run should not report it as news.
 */
export function unchangedReason(jobType: BulkJobType): string | null {
  switch (jobType) {
    case 'DeactivateMailboxes':
      return 'already inactive: nothing changed';
    case 'ApplyDefaultEmailSettings':
    case 'BulkEdit':
    case 'ApproveEmail':
    case 'RejectEmail':
    case 'TestAndEnable':
    case 'ReassignProfile':
      return null;
  }
}

/** A mailbox's result in a job of `jobType`, from the owner's answer to its command. */
export function bulkItemResult(jobType: BulkJobType, mailboxId: string, reply: ItemReply): BulkItemResult {
  if (!reply.accepted) return { mailboxId, outcome: 'Refused', reason: reply.refusal ?? 'refused' };
  const reason = reply.changed || reply.duplicate ? null : unchangedReason(jobType);
  return reason === null ? { mailboxId, outcome: 'Done' } : { mailboxId, outcome: 'Done', reason };
}
