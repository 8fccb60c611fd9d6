import { EventEnvelope, OPERATIONAL_RECORD_TYPE } from '@ssync/messaging';
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
  mailboxOperational,
  syncOf,
} from '@ssync/domain';
import { AuditDocument } from '../audit/audit.schema';
import { MailboxDocument, withoutPollHeartbeat } from '../mailboxes/mailbox.schema';
import { MailboxView, mailboxStateFromView, mailboxViewFromState } from '../mailboxes/mailbox-view';
import { VersionedModels } from '../read-models';
import { applyActivities } from '../activities/activity.projection';
import { applyAlertDismissals, applyMailboxAlerts, forgetAlertSubjects } from '../alerts/alert.projection';
import { applyServiceInterruption } from '../alerts/service-alert';
import { insertMissing, isDuplicateKey } from './mongo-errors';
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
    case 'ProfileCredentialsResealed':
      // The view shows no secret, only that it is set: a reseal moves the version alone.
      set = { ...stamp };
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

/**
 * An email's body (up to ~4 MB) is kept in `email_activities` and in the event log; its audit entry records only
 * its length, which halves what a rebuild writes for a log of tracked email.
 */
function auditPayload(e: EventEnvelope): unknown {
  const payload = redactSecrets(e.payload);
  if (e.aggregateType !== 'activity' || payload === null || typeof payload !== 'object') return payload;
  const { body, ...rest } = payload as { body?: unknown };
  return typeof body === 'string' ? { ...rest, bodyLength: body.length } : payload;
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
    payload: auditPayload(e),
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

/**
 * The mailbox documents whose latest operational record was quiet ({@link quietOperational}) and not written: the
 * projector evolves them from here; MongoDB holds the last one written. Dropped with the cache.
 */
const unwrittenMailboxes = new WeakMap<VersionedModels, Map<string, MailboxDocument>>();

export function forgetMailboxCache(models: VersionedModels): void {
  mailboxCaches.delete(models);
  unwrittenMailboxes.delete(models);
  forgetAlertSubjects(models);
}

/**
 * Read-model versions whose mailbox documents are held until {@link flushMailboxes}: a rebuild's, which no one
 * reads before its switch. A mailbox's events and operational records then cost one write in all, not one per
 * batch (replaces and `$set`s are FerretDB v1's dearest writes).
 */
const deferredMailboxes = new WeakSet<VersionedModels>();

export function deferMailboxWrites(models: VersionedModels): void {
  deferredMailboxes.add(models);
}

/** Writes every mailbox document held back (deferred, or a quiet record's); later batches write as they go. */
export async function flushMailboxes(models: VersionedModels): Promise<number> {
  deferredMailboxes.delete(models);
  return timed('mailboxFlush', () => writeUnwritten(models));
}

async function writeUnwritten(models: VersionedModels): Promise<number> {
  const unwritten = unwrittenMailboxes.get(models);
  if (!unwritten || unwritten.size === 0) return 0;
  const cache = cacheOf(models);
  const docs = [...unwritten.values()];
  let written = 0;
  for (let i = 0; i < docs.length; i += MAILBOX_INSERTS_PER_CALL) {
    const chunk = docs.slice(i, i + MAILBOX_INSERTS_PER_CALL);
    const existing = await insertMissing(models.mailboxes.collection, chunk);
    const stored: MailboxDocument[] = [];
    for (const [j, doc] of chunk.entries()) {
      if (existing.has(j)) stored.push(doc);
      else {
        cache.set(doc._id, doc);
        unwritten.delete(doc._id);
      }
    }
    for (let j = 0; j < stored.length; j += MAILBOX_WRITES_IN_FLIGHT)
      await Promise.all(
        stored.slice(j, j + MAILBOX_WRITES_IN_FLIGHT).map((d) => replaceMailbox(models, cache, d)),
      );
    written += chunk.length;
  }
  return written;
}

const MAILBOX_INSERTS_PER_CALL = 1000;

function unwrittenOf(models: VersionedModels): Map<string, MailboxDocument> {
  let unwritten = unwrittenMailboxes.get(models);
  if (!unwritten) unwrittenMailboxes.set(models, (unwritten = new Map<string, MailboxDocument>()));
  return unwritten;
}

/** A mailbox as the projector knows it: its latest document, written or not. */
function latestMailbox(models: VersionedModels, id: string): MailboxDocument | undefined {
  return unwrittenMailboxes.get(models)?.get(id) ?? mailboxCaches.get(models)?.get(id);
}

/**
 * How stale the stored time fields of a mailbox that polls quietly may get (docs/adr/0010, addendum). The API
 * answers mailbox reads from its own copy of the operational state, live; the MongoDB view is for operators,
 * rebuilds and checksums.
 */
export const MAILBOX_VIEW_HEARTBEAT_MS = 10 * 60_000;

/**
 * Whether `next` differs from `stored` only in what every poll moves — when it ran, when the next is due, the
 * claim, the cursor, the poll count — and the stored time is less than a heartbeat old. Such a record is not
 * written: a quiet poll costs the database nothing. A failure, a recovery, mail processed or the heartbeat is.
 */
export function quietOperational(stored: MailboxDocument, next: MailboxDocument): boolean {
  if (stored.lastSyncAt === null || next.lastSyncAt === null || !stored.sync || !next.sync) return false;
  if (Date.parse(next.lastSyncAt) - Date.parse(stored.lastSyncAt) >= MAILBOX_VIEW_HEARTBEAT_MS) return false;
  return canonicalQuietless(stored) === canonicalQuietless(next);
}

function canonicalQuietless(doc: MailboxDocument): string {
  const kept: Record<string, unknown> = {};
  for (const k of OPERATIONAL_FIELDS) kept[k] = doc[k];
  return JSON.stringify(withoutPollHeartbeat(kept));
}

/**
 * Operational records (docs/adr/0010) of mailboxes whose document does not exist yet: the operational topic and
 * the event topic are read side by side, so a record can come before its mailbox's first events.
 */
const pendingOperational = new WeakMap<VersionedModels, Map<string, EventEnvelope>>();

function pendingOf(models: VersionedModels): Map<string, EventEnvelope> {
  let pending = pendingOperational.get(models);
  if (!pending) {
    pending = new Map();
    pendingOperational.set(models, pending);
  }
  return pending;
}

/**
 * Mailbox documents are read, evolved and written by events and operational records alike: one batch at a time
 * per partition (a mailbox's events and operational records share their partition number).
 */
const mailboxLocks = new WeakMap<VersionedModels, Map<number, Promise<void>>>();

async function withMailboxLock(
  models: VersionedModels,
  partition: number,
  fn: () => Promise<void>,
): Promise<void> {
  let locks = mailboxLocks.get(models);
  if (!locks) mailboxLocks.set(models, (locks = new Map<number, Promise<void>>()));
  const run = (locks.get(partition) ?? Promise.resolve()).then(fn);
  locks.set(
    partition,
    run.catch(() => undefined),
  );
  return run;
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
  opVersion: number;
  sliceVersion: number;
}

function progressOf(doc: MailboxDocument): MailboxProgress {
  return {
    state: mailboxStateFromView(doc),
    version: doc.version,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    updatedBy: doc.updatedBy,
    opVersion: doc.opVersion ?? -1,
    sliceVersion: doc.sliceVersion ?? 0,
  };
}

function documentOf(id: string, p: MailboxProgress): MailboxDocument | null {
  const view: MailboxView | null = mailboxViewFromState(p.state, p.version);
  if (!view) return null;
  return {
    _id: id,
    ...view,
    ...(p.state.status === 'None' ? {} : { sync: syncOf(p.state.mailbox) }),
    nameLower: view.name.toLowerCase(),
    emailLower: (view.emailAddress ?? '').toLowerCase(),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    updatedBy: p.updatedBy,
    opVersion: p.opVersion,
    sliceVersion: p.sliceVersion,
  };
}

/** The slice of an operational record over a mailbox's progress, unless an audited event after it moved the slice. */
function withOperational(p: MailboxProgress, record: EventEnvelope): MailboxProgress | null {
  if (record.sequence < p.sliceVersion || p.version < record.sequence || p.state.status === 'None')
    return null;
  return {
    ...p,
    state: mailboxOperational.withSlice(p.state, record.payload),
    opVersion: record.sequence,
    sliceVersion: record.sequence,
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
    opVersion: -1,
    sliceVersion: 0,
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
  const pending = pendingOf(models);
  const ids = [...new Set(events.map((e) => e.aggregateId))];
  const progress = new Map<string, MailboxProgress>();
  await loadMailboxes(models, ids);
  for (const id of ids) {
    const doc = latestMailbox(models, id);
    if (doc) progress.set(id, progressOf(doc));
  }
  const changed = new Set<string>();
  const provisionedHere = new Set<string>();
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
      opVersion: -1,
      sliceVersion: 0,
    };
    if (current.version === 0 && e.sequence === 1) provisionedHere.add(e.aggregateId);
    if (e.sequence <= current.version) {
      progress.set(e.aggregateId, current);
      continue;
    }
    let state = evolveMailbox(current.state, { type: e.type, data: e.payload } as MailboxEvent);
    let sliceVersion = current.sliceVersion;
    if (mailboxOperational.touchesSlice(e.type)) {
      // The same rule as the aggregate store: a newer operational record already holds what this event led to.
      const kept = e.sequence <= current.opVersion ? mailboxOperational.slice(current.state) : null;
      if (kept !== null) state = mailboxOperational.withSlice(state, kept);
      else sliceVersion = e.sequence;
    }
    let next: MailboxProgress = {
      state,
      version: e.sequence,
      createdAt: e.type === 'MailboxProvisioned' ? e.occurredAt : current.createdAt,
      updatedAt: e.occurredAt,
      updatedBy: e.actor,
      opVersion: current.opVersion,
      sliceVersion,
    };
    const waiting = pending.get(e.aggregateId);
    if (waiting) {
      const applied = withOperational(next, waiting);
      if (applied) next = applied;
      if (applied || waiting.sequence < next.sliceVersion) pending.delete(e.aggregateId);
    }
    progress.set(e.aggregateId, next);
    changed.add(e.aggregateId);
  }
  if (deferredMailboxes.has(models)) {
    const unwritten = unwrittenOf(models);
    for (const id of changed) {
      const doc = documentOf(id, progress.get(id)!);
      if (doc) unwritten.set(id, doc);
    }
    return;
  }
  const docs: MailboxDocument[] = [];
  const fresh: MailboxDocument[] = [];
  for (const id of changed) {
    const doc = documentOf(id, progress.get(id)!);
    // Provisioned in this batch (a rebuild's usual case): one insertMany for all of them.
    if (doc) (cache.has(id) || !provisionedHere.has(id) ? docs : fresh).push(doc);
  }
  const existing = await insertMissing(models.mailboxes.collection, fresh);
  for (const [i, doc] of fresh.entries()) {
    if (existing.has(i)) docs.push(doc);
    else cache.set(doc._id, doc);
  }
  for (let i = 0; i < docs.length; i += MAILBOX_WRITES_IN_FLIGHT)
    await Promise.all(
      docs.slice(i, i + MAILBOX_WRITES_IN_FLIGHT).map((d) => replaceMailbox(models, cache, d)),
    );
}

/** Reads the documents of `ids` not in the cache into it. */
async function loadMailboxes(models: VersionedModels, ids: string[]): Promise<void> {
  const cache = cacheOf(models);
  const unwritten = unwrittenMailboxes.get(models);
  const misses = ids.filter((id) => !cache.has(id) && !unwritten?.has(id));
  if (misses.length === 0) return;
  const docs = await models.mailboxes.collection.find({ _id: { $in: misses as never[] } }).toArray();
  for (const raw of docs) cache.set(String(raw._id), raw as unknown as MailboxDocument);
}

/** The B-5 fields and the sync state a mailbox document takes from its operational record. */
const OPERATIONAL_FIELDS = [
  'sync',
  'lastSyncAt',
  'nextSyncDueAt',
  'lastSyncError',
  'itemsProcessedLastSync',
  'itemsFailedLastSync',
  'opVersion',
  'sliceVersion',
] as const;

/**
 * Operational records (docs/adr/0010): the latest of each mailbox in the batch sets its sync fields. Only those
 * fields are written (`$set` by `_id`), so the audited part of the document is never rewritten by a poll.
 */
async function applyMailboxOperational(models: VersionedModels, records: EventEnvelope[]): Promise<void> {
  const latest = new Map<string, EventEnvelope>();
  for (const r of records) latest.set(r.aggregateId, r);
  const cache = cacheOf(models);
  const pending = pendingOf(models);
  await loadMailboxes(models, [...latest.keys()]);
  const writes: MailboxDocument[] = [];
  const unwritten = unwrittenOf(models);
  for (const [id, record] of latest) {
    const doc = latestMailbox(models, id);
    const current = doc ? progressOf(doc) : null;
    if (!current || current.version < record.sequence) {
      // Its events are not projected yet: applied when they are.
      pending.set(id, record);
      continue;
    }
    pending.delete(id);
    const next = withOperational(current, record);
    const written = next && documentOf(id, next);
    if (!written) continue;
    const stored = cache.get(id);
    if (deferredMailboxes.has(models) || (stored && quietOperational(stored, written)))
      unwritten.set(id, written);
    else writes.push(written);
  }
  for (let i = 0; i < writes.length; i += MAILBOX_WRITES_IN_FLIGHT)
    await Promise.all(
      writes.slice(i, i + MAILBOX_WRITES_IN_FLIGHT).map(async (doc) => {
        const set: Record<string, unknown> = {};
        for (const k of OPERATIONAL_FIELDS) set[k] = doc[k];
        await models.mailboxes.collection.updateOne({ _id: doc._id as never }, { $set: set });
        cache.set(doc._id, doc);
        unwritten.delete(doc._id);
      }),
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
    unwrittenMailboxes.get(models)?.delete(doc._id);
  } catch (error) {
    // A newer version is stored (another writer's, or a replay's): read it back next time.
    cache.delete(doc._id);
    unwrittenMailboxes.get(models)?.delete(doc._id);
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

/**
 * Where projection time goes, per stage (milliseconds and events), summed since the process started: a rebuild
 * prints it (`projectionProfile`), so its report can say where the time goes.
 */
const profile = new Map<string, { ms: number; calls: number }>();

async function timed<T>(stage: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    const entry = profile.get(stage) ?? { ms: 0, calls: 0 };
    entry.ms += performance.now() - started;
    entry.calls += 1;
    profile.set(stage, entry);
  }
}

export function projectionProfile(): Record<string, { ms: number; calls: number }> {
  return Object.fromEntries([...profile].map(([k, v]) => [k, { ms: Math.round(v.ms), calls: v.calls }]));
}

/** Applies a batch of one partition's events to every read model, idempotently. */
export async function project(
  models: VersionedModels,
  batch: EventEnvelope[],
  /** The batch's partition (mailbox writes of one partition are serialized); unknown: all share one lock. */
  partition = -1,
): Promise<void> {
  // A batch is one partition of one topic: operational records or events, never both.
  const records = batch.filter((e) => e.type === OPERATIONAL_RECORD_TYPE);
  if (records.length > 0) {
    const mailboxRecords = records.filter((r) => r.aggregateType === 'mailbox');
    if (mailboxRecords.length > 0)
      await timed('mailboxOperational', () =>
        withMailboxLock(models, partition, () => applyMailboxOperational(models, mailboxRecords)),
      );
  }
  const events = records.length === 0 ? batch : batch.filter((e) => e.type !== OPERATIONAL_RECORD_TYPE);
  if (events.length === 0) return;
  await timed('audit', () => appendAudit(models, events));
  // Email activities, the tracking ledger and alerts (issue #5): each filters its own aggregate's events.
  await timed('activities', () => applyActivities(models, events));
  await timed('mailboxAlerts', () => applyMailboxAlerts(models, events));
  await timed('alertDismissals', () => applyAlertDismissals(models, events));
  let mailboxRun: EventEnvelope[] = [];
  const flushMailboxes = async () => {
    const run = mailboxRun;
    mailboxRun = [];
    if (run.length > 0)
      await timed('mailboxes', () => withMailboxLock(models, partition, () => applyMailboxes(models, run)));
  };
  for (const e of events) {
    if (e.aggregateType === 'mailbox') {
      mailboxRun.push(e);
      continue;
    }
    if (e.aggregateType === 'activity' || e.aggregateType === 'alert') continue;
    await flushMailboxes();
    switch (e.aggregateType) {
      case 'profile':
        await timed('profiles', () => applyProfile(models, e));
        break;
      case 'organization':
        await timed('organization', () => applyOrganization(models, e));
        await timed('serviceAlerts', () => applyServiceInterruption(models, e));
        break;
      case 'job':
        await timed('jobs', () => applyJob(models, e));
        break;
    }
  }
  await flushMailboxes();
}
