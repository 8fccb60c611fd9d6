import { Schema } from 'mongoose';
import { AlertLevel, OrganizationEvent, ServiceInterruption } from '@ssync/domain';
import { EventEnvelope } from '@ssync/messaging';
import type { VersionedModels } from '../read-models';
import { isDuplicateKey } from '../projection/mongo-errors';
import { alertId } from './alert.projection';

/**
 * An administrators' alert (issue #11): a worker could not reach a dependency and put work off. One per
 * interruption a worker recorded, from the organization's service stream.
 */
export interface ServiceAlertDocument extends ServiceInterruption {
  _id: string;
  level: AlertLevel;
  message: string;
  recordedAt: string;
  sequence: number;
}

export const serviceAlertSchema = new Schema<ServiceAlertDocument>(
  {
    _id: { type: String, required: true },
    level: String,
    message: String,
    dependency: String,
    role: String,
    instanceId: String,
    from: String,
    to: String,
    deferred: { polls: Number, tests: Number, sends: Number },
    recordedAt: String,
    sequence: Number,
  },
  { versionKey: false, _id: false, strict: true },
);
serviceAlertSchema.index({ to: -1, _id: -1 });

const DEPENDENCY_NAMES: Record<ServiceInterruption['dependency'], string> = {
  kafka: 'the event log (Kafka)',
  mongodb: 'the database (MongoDB)',
};

const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

export function serviceAlertMessage(i: ServiceInterruption): string {
  const seconds = Math.round((Date.parse(i.to) - Date.parse(i.from)) / 1000);
  // Attempts: a poll put off is tried again every few seconds, and each try counts.
  const work = [
    count(i.deferred.polls, 'poll attempt'),
    count(i.deferred.tests, 'test attempt'),
    count(i.deferred.sends, 'send attempt'),
  ];
  return (
    `${i.role} ${i.instanceId} could not reach ${DEPENDENCY_NAMES[i.dependency]} from ${i.from} to ${i.to} ` +
    `(${seconds} s) and put off ${work.join(', ')} until it answered again; nothing was recorded against ` +
    'the mailboxes for it.'
  );
}

export async function applyServiceInterruption(models: VersionedModels, e: EventEnvelope): Promise<void> {
  const event = { type: e.type, data: e.payload } as OrganizationEvent;
  if (event.type !== 'ServiceInterruptionRecorded') return;
  const { organizationId: _org, ...interruption } = event.data;
  const doc: ServiceAlertDocument = {
    _id: alertId(['service', e.aggregateId, String(e.sequence)]),
    level: 'Warning',
    message: serviceAlertMessage(interruption),
    ...interruption,
    recordedAt: e.occurredAt,
    sequence: e.sequence,
  };
  try {
    await models.serviceAlerts.collection.insertOne(doc as never);
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
}

export interface ServiceAlertView extends ServiceInterruption {
  id: string;
  level: AlertLevel;
  message: string;
  recordedAt: string;
}

/** The administrators' alerts, newest first. */
export async function readServiceAlerts(models: VersionedModels, limit: number): Promise<ServiceAlertView[]> {
  const docs = await models.serviceAlerts
    .find({})
    .sort({ to: -1, _id: -1 })
    .limit(limit)
    .lean<ServiceAlertDocument[]>()
    .exec();
  return docs.map(({ _id, sequence: _s, ...rest }) => ({ id: _id, ...rest }));
}
