import { EventEnvelope } from '@ssync/messaging';
import { ProfileEvent, ProfileSettings, isSealedSecret } from '@ssync/domain';
import { VersionedModels } from '../read-models';
import { isDuplicateKey } from './mongo-errors';
import { redactSecrets } from './redact';

/** Maps sealed fields to "is set" flags; everything else is copied as is. */
function profileFields(changes: Partial<ProfileSettings>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    if (key === 'password') out.passwordSet = isSealedSecret(value);
    else if (key === 'outgoingPassword') out.outgoingPasswordSet = isSealedSecret(value);
    else out[key] = value;
    if (key === 'name' && typeof value === 'string') out.nameLower = value.toLowerCase();
  }
  return out;
}

async function applyProfile(models: VersionedModels, e: EventEnvelope): Promise<void> {
  const event = { type: e.type, data: e.payload } as ProfileEvent;
  const id = e.aggregateId;
  const stamp = { version: e.sequence, updatedAt: e.occurredAt, updatedBy: e.actor };
  let set: Record<string, unknown>;
  switch (event.type) {
    case 'ProfileCreated':
      set = {
        id,
        status: 'Active',
        ...profileFields(event.data.settings),
        createdAt: e.occurredAt,
        ...stamp,
      };
      break;
    case 'ProfileUpdated':
      set = { ...profileFields(event.data.changes), ...stamp };
      break;
    case 'ProfileDeactivated':
      set = { status: 'Inactive', ...stamp };
      break;
    case 'ProfileActivated':
      set = { status: 'Active', ...stamp };
      break;
    default:
      return;
  }
  try {
    // Only a newer event moves the document: replays and redeliveries change nothing.
    await models.profiles.collection.updateOne(
      { _id: id as never, version: { $lt: e.sequence } },
      { $set: set },
      { upsert: true },
    );
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
}

async function appendAudit(models: VersionedModels, events: EventEnvelope[]): Promise<void> {
  const docs = events.map((e) => ({
    _id: e.eventId,
    aggregateType: e.aggregateType,
    aggregateId: e.aggregateId,
    sequence: e.sequence,
    type: e.type,
    schemaVersion: e.schemaVersion,
    occurredAt: e.occurredAt,
    actor: e.actor,
    correlationId: e.correlationId,
    causationId: e.causationId,
    payload: redactSecrets(e.payload),
  }));
  try {
    await models.audit.collection.insertMany(docs as never[], { ordered: false });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
}

/** Applies a batch of one partition's events to every read model, idempotently. */
export async function project(models: VersionedModels, events: EventEnvelope[]): Promise<void> {
  await appendAudit(models, events);
  for (const e of events) {
    switch (e.aggregateType) {
      case 'profile':
        await applyProfile(models, e);
        break;
      case 'organization':
      case 'mailbox':
      case 'activity':
        break;
    }
  }
}
