import { CommandMeta } from '../shared/decider';
import { BulkItemResult, BulkJobParameters } from './types';

type J = CommandMeta & { jobId: string };

export type JobCommand =
  | (J & { type: 'StartBulkJob'; mailboxIds: string[]; parameters: BulkJobParameters })
  /** Per-mailbox outcomes, batched; an outcome already recorded is not recorded again. */
  | (J & { type: 'RecordBulkJobItems'; results: BulkItemResult[] })
  | (J & { type: 'CompleteBulkJob'; failure?: string | null });

export type JobCommandType = JobCommand['type'];
