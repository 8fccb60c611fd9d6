import { BulkItemResult, BulkJobParameters, BulkJobType } from './types';

export type JobEvent =
  | {
      type: 'BulkJobStarted';
      data: {
        jobId: string;
        jobType: BulkJobType;
        mailboxIds: string[];
        parameters: BulkJobParameters;
        startedAt: string;
        /** Who asked: every per-mailbox command of the job acts for this user. */
        requestedBy: string;
      };
    }
  | { type: 'BulkJobItemsCompleted'; data: { jobId: string; results: BulkItemResult[] } }
  | {
      type: 'BulkJobCompleted';
      data: { jobId: string; status: 'Completed' | 'Failed'; completedAt: string; failure: string | null };
    };

export type JobEventType = JobEvent['type'];
