import { EventEnvelope } from '@ssync/messaging';
import {
  JobEvent,
  MailboxEvent,
  MailboxState,
  OrganizationEvent,
  ProfileEvent,
  ProfileSettings,
  evolveMailbox,
  initialMailboxState,
  isSealedSecret,
} from '@ssync/domain';
import { AnyBulkWriteOperation } from 'mongodb';
import { MailboxDocument } from '../mailboxes/mailbox.schema';
import { MailboxView, mailboxStateFromView, mailboxViewFromState } from '../mailboxes/mailbox-view';
import { VersionedModels } from '../read-models';
import { applyActivities } from '../activities/activity.projection';
import { applyAlertDismissals, applyMailboxAlerts } from '../alerts/alert.projection';
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

async function applyOrganization(models: VersionedModels, e: EventEnvelope): Promise<void> {
  const event = { type: e.type, data: e.payload } as OrganizationEvent;
  if (event.type !== 'OrganizationEmailSettingsChanged') return;
  try {
    await models.organizationSettings.collection.updateOne(
      { _id: e.aggregateId as never, version: { $lt: e.sequence } },
      { $set: { ...event.data.changes, version: e.sequence, updatedAt: e.occurredAt, updatedBy: e.actor } },
      { upsert: true },
    );
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
}

interface MailboxProgress {
  state: MailboxState;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
  changed: boolean;
}

/**
 * Mailbox status view: the documents a batch touches are read once, the decider's own `evolve` moves them (so
 * the view cannot drift from the aggregate's rules), and each is written once, only over an older version.
 */
async function applyMailboxes(models: VersionedModels, events: EventEnvelope[]): Promise<void> {
  const ids = [...new Set(events.map((e) => e.aggregateId))];
  const docs = await models.mailboxes.collection.find({ _id: { $in: ids as never[] } }).toArray();
  const progress = new Map<string, MailboxProgress>();
  for (const raw of docs) {
    const doc = raw as unknown as MailboxDocument;
    progress.set(doc._id, {
      state: mailboxStateFromView(doc),
      version: doc.version,
      createdAt: doc.createdAt,
      updatedAt: doc.updatedAt,
      updatedBy: doc.updatedBy,
      changed: false,
    });
  }
  for (const e of events) {
    const current = progress.get(e.aggregateId) ?? {
      state: initialMailboxState(),
      version: 0,
      createdAt: e.occurredAt,
      updatedAt: e.occurredAt,
      updatedBy: e.actor,
      changed: false,
    };
    if (e.sequence <= current.version) continue;
    progress.set(e.aggregateId, {
      state: evolveMailbox(current.state, { type: e.type, data: e.payload } as MailboxEvent),
      version: e.sequence,
      createdAt: e.type === 'MailboxProvisioned' ? e.occurredAt : current.createdAt,
      updatedAt: e.occurredAt,
      updatedBy: e.actor,
      changed: true,
    });
  }
  const writes: AnyBulkWriteOperation[] = [];
  for (const [id, p] of progress) {
    if (!p.changed) continue;
    const view: MailboxView | null = mailboxViewFromState(p.state, p.version);
    if (!view) continue;
    const set: Omit<MailboxDocument, '_id'> = {
      ...view,
      nameLower: view.name.toLowerCase(),
      emailLower: (view.emailAddress ?? '').toLowerCase(),
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
      updatedBy: p.updatedBy,
    };
    writes.push({
      updateOne: {
        filter: { _id: id as never, version: { $lt: p.version } },
        update: { $set: set },
        upsert: true,
      },
    });
  }
  if (writes.length === 0) return;
  try {
    await models.mailboxes.collection.bulkWrite(writes, { ordered: false });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
}

async function applyJob(models: VersionedModels, e: EventEnvelope): Promise<void> {
  const event = { type: e.type, data: e.payload } as JobEvent;
  const id = e.aggregateId;
  const newer = { _id: id as never, version: { $lt: e.sequence } };
  try {
    switch (event.type) {
      case 'BulkJobStarted':
        await models.jobs.collection.updateOne(
          newer,
          {
            $set: {
              type: event.data.jobType,
              status: 'Running',
              total: event.data.mailboxIds.length,
              done: 0,
              refused: 0,
              startedAt: event.data.startedAt,
              completedAt: null,
              failure: null,
              requestedBy: e.actor,
              version: e.sequence,
            },
          },
          { upsert: true },
        );
        break;
      case 'BulkJobItemsCompleted': {
        const results = event.data.results;
        try {
          await models.jobResults.collection.insertMany(
            results.map((r) => ({
              _id: `${id}:${r.mailboxId}`,
              jobId: id,
              mailboxId: r.mailboxId,
              outcome: r.outcome,
              reason: r.reason ?? null,
            })) as never[],
            { ordered: false },
          );
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
        }
        // The decider records each mailbox once, so counting the event's results is exact.
        await models.jobs.collection.updateOne(newer, {
          $set: { version: e.sequence },
          $inc: {
            done: results.length,
            refused: results.filter((r) => r.outcome === 'Refused').length,
          },
        });
        break;
      }
      case 'BulkJobCompleted':
        await models.jobs.collection.updateOne(newer, {
          $set: {
            status: event.data.status,
            completedAt: event.data.completedAt,
            failure: event.data.failure,
            version: e.sequence,
          },
        });
        break;
      default:
        return;
    }
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
}

/** Applies a batch of one partition's events to every read model, idempotently. */
export async function project(models: VersionedModels, events: EventEnvelope[]): Promise<void> {
  await appendAudit(models, events);
  // Email activities, the tracking ledger and alerts (issue #5): each filters its own aggregate's events.
  await applyActivities(models, events);
  await applyMailboxAlerts(models, events);
  await applyAlertDismissals(models, events);
  let mailboxRun: EventEnvelope[] = [];
  const flushMailboxes = async () => {
    if (mailboxRun.length > 0) await applyMailboxes(models, mailboxRun);
    mailboxRun = [];
  };
  for (const e of events) {
    if (e.aggregateType === 'mailbox') {
      mailboxRun.push(e);
      continue;
    }
    await flushMailboxes();
    switch (e.aggregateType) {
      case 'profile':
        await applyProfile(models, e);
        break;
      case 'organization':
        await applyOrganization(models, e);
        break;
      case 'job':
        await applyJob(models, e);
        break;
      case 'activity':
      case 'alert':
        break;
    }
  }
  await flushMailboxes();
}
