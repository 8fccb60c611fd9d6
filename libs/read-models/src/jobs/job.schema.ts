import { Schema } from 'mongoose';
import { BulkItemOutcome, BulkJobStatus, BulkJobType } from '@ssync/domain';

/** A bulk job's progress (issue #3: GET /api/v1/jobs/{id}); its per-mailbox results are in `job_results`. */
export interface JobDocument {
  _id: string;
  type: BulkJobType;
  status: BulkJobStatus;
  total: number;
  done: number;
  refused: number;
  startedAt: string;
  completedAt: string | null;
  failure: string | null;
  requestedBy: string;
  version: number;
}

export interface JobResultDocument {
  /** `${jobId}:${mailboxId}` */
  _id: string;
  jobId: string;
  mailboxId: string;
  outcome: BulkItemOutcome;
  reason: string | null;
}

export const jobSchema = new Schema<JobDocument>(
  {
    _id: { type: String, required: true },
    type: String,
    status: String,
    total: Number,
    done: Number,
    refused: Number,
    startedAt: String,
    completedAt: { type: String, default: null },
    failure: { type: String, default: null },
    requestedBy: String,
    version: Number,
  },
  { versionKey: false, _id: false, strict: true },
);
jobSchema.index({ startedAt: 1 });

export const jobResultSchema = new Schema<JobResultDocument>(
  {
    _id: { type: String, required: true },
    jobId: String,
    mailboxId: String,
    outcome: String,
    reason: { type: String, default: null },
  },
  { versionKey: false, _id: false, strict: true },
);
jobResultSchema.index({ jobId: 1, _id: 1 });
jobResultSchema.index({ mailboxId: 1 });
