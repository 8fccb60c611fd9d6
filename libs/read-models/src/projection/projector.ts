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
  syncOf,
} from '@ssync/domain';
import { AuditDocument } from '../audit/audit.schema';
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

/**
 * The mailbox documents this projector wrote, per read-model version. The projector is the only writer of its
 * partitions' mailboxes, so it need not read them back; the cache is dropped whenever partitions are reassigned
 * or the projector follows another version.
 */
const mailboxCaches = new WeakMap<VersionedModels, Map<string, MailboxDocument>>();

export function forgetMailboxCache(models: VersionedModels): void {
  mailboxCaches.delete(models);
}

function cacheOf(models: VersionedModels): Map<string, MailboxDocument> {
  let cache = mailboxCaches.get(models);
  if (!cache) {
    cache = new Map();
    mailboxCaches.set(models, cache);
  }
  return cache;
}

interface MailboxProgress {
  state: MailboxState;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

function progressOf(doc: MailboxDocument): MailboxProgress {
  return {
    state: mailboxStateFromView(doc),
    version: doc.version,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    updatedBy: doc.updatedBy,
  };
}

/** A mailbox whose document is missing (a collection dropped by hand): its state again, from the audit trail. */
async function fromAudit(
  models: VersionedModels,
  id: string,
  before: number,
): Promise<MailboxProgress | null> {
  const events = await models.audit
    .find({ aggregateType: 'mailbox', aggregateId: id, sequence: { $lt: before } })
    .sort({ sequence: 1 })
    .lean<AuditDocument[]>()
    .exec();
  if (events.length !== before - 1) return null;
  let state = initialMailboxState();
  for (const e of events) state = evolveMailbox(state, { type: e.type, data: e.payload } as MailboxEvent);
  const last = events[events.length - 1]!;
  return {
    state,
    version: last.sequence,
    createdAt: events[0]!.occurredAt,
    updatedAt: last.occurredAt,
    updatedBy: last.actor,
  };
}

/** Mailbox documents written at once; FerretDB v1 serves each from its own pooled PostgreSQL connection. */
const MAILBOX_WRITES_IN_FLIGHT = 16;

/**
 * Mailbox status view: the decider's own `evolve` moves the documents (so the view cannot drift from the
 * aggregate's rules). Each changed document is replaced by `_id`, only if what is stored is older — a replay or
 * a redelivery changes nothing, and no reader ever finds a mailbox missing. Measured on FerretDB v1 (PostgreSQL),
 * 100 such replaces 16 at a time cost half of one `deleteMany({_id: {$in}})` + `insertMany`, which scan the
 * collection; one `bulkWrite` of them would hold a PostgreSQL connection per statement and, at 50, hang the
 * server (docs/adr/0004, addendum).
 */
async function applyMailboxes(models: VersionedModels, events: EventEnvelope[]): Promise<void> {
  const cache = cacheOf(models);
  const ids = [...new Set(events.map((e) => e.aggregateId))];
  const progress = new Map<string, MailboxProgress>();
  const misses = ids.filter((id) => !cache.has(id));
  if (misses.length > 0) {
    const docs = await models.mailboxes.collection.find({ _id: { $in: misses as never[] } }).toArray();
    for (const raw of docs) cache.set(String(raw._id), raw as unknown as MailboxDocument);
  }
  for (const id of ids) {
    const doc = cache.get(id);
    if (doc) progress.set(id, progressOf(doc));
  }
  const changed = new Set<string>();
  for (const e of events) {
    let current = progress.get(e.aggregateId);
    if (!current && e.sequence > 1)
      current = (await fromAudit(models, e.aggregateId, e.sequence)) ?? undefined;
    current ??= {
      state: initialMailboxState(),
      version: 0,
      createdAt: e.occurredAt,
      updatedAt: e.occurredAt,
      updatedBy: e.actor,
    };
    if (e.sequence <= current.version) {
      progress.set(e.aggregateId, current);
      continue;
    }
    progress.set(e.aggregateId, {
      state: evolveMailbox(current.state, { type: e.type, data: e.payload } as MailboxEvent),
      version: e.sequence,
      createdAt: e.type === 'MailboxProvisioned' ? e.occurredAt : current.createdAt,
      updatedAt: e.occurredAt,
      updatedBy: e.actor,
    });
    changed.add(e.aggregateId);
  }
  const docs: MailboxDocument[] = [];
  for (const id of changed) {
    const p = progress.get(id)!;
    const view: MailboxView | null = mailboxViewFromState(p.state, p.version);
    if (!view) continue;
    docs.push({
      _id: id,
      ...view,
      ...(p.state.status === 'None' ? {} : { sync: syncOf(p.state.mailbox) }),
      nameLower: view.name.toLowerCase(),
      emailLower: (view.emailAddress ?? '').toLowerCase(),
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
      updatedBy: p.updatedBy,
    });
  }
  for (let i = 0; i < docs.length; i += MAILBOX_WRITES_IN_FLIGHT)
    await Promise.all(
      docs.slice(i, i + MAILBOX_WRITES_IN_FLIGHT).map((d) => replaceMailbox(models, cache, d)),
    );
}

async function replaceMailbox(
  models: VersionedModels,
  cache: Map<string, MailboxDocument>,
  doc: MailboxDocument,
): Promise<void> {
  try {
    await models.mailboxes.collection.replaceOne(
      { _id: doc._id as never, version: { $lt: doc.version } },
      doc,
      { upsert: true },
    );
    cache.set(doc._id, doc);
  } catch (error) {
    // A newer version is stored (another writer's, or a replay's): read it back next time.
    cache.delete(doc._id);
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
