import { Schema } from 'mongoose';

/** One event of the log, secrets redacted: the audit trail (SPEC ). */
export interface AuditDocument {
  _id: string;
  aggregateType: string;
  aggregateId: string;
  sequence: number;
  type: string;
  schemaVersion: number;
  occurredAt: string;
  actor: string;
  correlationId: string;
  causationId: string;
  payload: unknown;
}

export const auditSchema = new Schema<AuditDocument>(
  {
    _id: { type: String, required: true },
    aggregateType: String,
    aggregateId: String,
    sequence: Number,
    type: String,
    schemaVersion: Number,
    occurredAt: String,
    actor: String,
    correlationId: String,
    causationId: String,
    payload: Schema.Types.Mixed,
  },
  { versionKey: false, _id: false, strict: true },
);
auditSchema.index({ aggregateType: 1, aggregateId: 1, sequence: 1 }, { unique: true });
