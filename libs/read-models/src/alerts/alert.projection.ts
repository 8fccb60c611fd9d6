import { createHash } from 'node:crypto';
import { AlertEvent, AlertLevel, MailboxArea, MailboxEvent } from '@ssync/domain';
import { EventEnvelope } from '@ssync/messaging';
import type { VersionedModels } from '../read-models';
import { insertMissing, isDuplicateKey } from '../projection/mongo-errors';
import { AlertAudience, AlertDocument, AlertSubjectDocument, ProfileFailureDocument } from './alert.schema';

const AREA_NAMES: Record<MailboxArea, string> = {
  incomingEmail: 'incoming email',
  outgoingEmail: 'outgoing email',
  act: 'appointments, contacts and tasks',
};

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Same inputs, same id: a rebuild gives the same documents. */
export function alertId(parts: readonly (string | null)[]): string {
  return `a-${createHash('sha256')
    .update(parts.map((p) => p ?? '').join('\u0000'))
    .digest('hex')
    .slice(0, 40)}`;
}

/** Start of the UTC clock hour of an instant. */
export function hourOf(iso: string): string {
  const t = Date.parse(iso);
  return new Date(t - (t % 3_600_000)).toISOString();
}

export type Subject = Omit<AlertSubjectDocument, '_id'>;

interface AlertIntent {
  audience: AlertAudience;
  userId: string | null;
  level: AlertLevel;
  message: string;
  mailboxId: string;
  profileId: string | null;
  at: string;
  sequence: number;
}

function label(s: Subject): string {
  return `"${s.name}"${s.emailAddress ? ` <${s.emailAddress}>` : ''}`;
}

/**
 * M-6 / A-1: success → Information to the mailbox owner; failure → Warning (transient, retried) or Error
 * (permanent, or transient with no retries left) to the mailbox owner and the profile owner.
 */
export function testAlerts(
  s: Subject,
  d: Extract<MailboxEvent, { type: 'MailboxTestCompleted' }>['data'],
): { level: AlertLevel; message: string; toProfileOwner: boolean; failed: boolean } | null {
  const outcomes = Object.entries(d.areas) as [MailboxArea, NonNullable<(typeof d.areas)[MailboxArea]>][];
  const names = (status: string) =>
    outcomes.filter(([, o]) => o.status === status).map(([area]) => AREA_NAMES[area]);
  // Said with the result, so that nobody reads "enabled" as "everything is synchronized".
  const notRun = names('NotRun');
  const notRunNote =
    notRun.length > 0
      ? ` ${capitalize(notRun.join(' and '))}: not synchronized by this version, not enabled.`
      : '';
  if (d.mailboxStatus === 'Success')
    return {
      level: 'Information',
      message: `Mailbox ${label(s)} was tested and enabled for ${names('Success').join(' and ')}.${notRunNote}`,
      toProfileOwner: false,
      failed: false,
    };
  const failed = outcomes.filter(([, o]) => o.status === 'Failure');
  if (failed.length === 0 && d.mailboxStatus !== 'Failure')
    return notRun.length > 0
      ? {
          level: 'Information',
          message: `Test & Enable of mailbox ${label(s)} enabled nothing.${notRunNote}`,
          toProfileOwner: false,
          failed: false,
        }
      : null;
  const details =
    failed.length > 0
      ? failed.map(([area, o]) => `${AREA_NAMES[area]}: ${o.reason ?? 'failed'}`).join('; ')
      : (d.mailboxStatusReason ?? 'failed');
  const permanent =
    d.retriesExhausted || failed.some(([, o]) => o.errorClass === 'Permanent') || d.retry === null;
  return permanent
    ? {
        level: 'Error',
        message: `Mailbox ${label(s)} was disabled for email processing: Test & Enable failed${
          d.retriesExhausted ? ' (a transient error persisted through every retry)' : ''
        }: ${details}`,
        toProfileOwner: true,
        failed: true,
      }
    : {
        level: 'Warning',
        message: `Test & Enable of mailbox ${label(s)} failed with a transient error and will be retried: ${details}`,
        toProfileOwner: true,
        failed: true,
      };
}

export function syncFailureAlert(
  s: Subject,
  d: { reason: string; disabled: boolean },
): { level: AlertLevel; message: string } {
  return d.disabled
    ? { level: 'Error', message: `Mailbox ${label(s)} was disabled for incoming email: ${d.reason}` }
    : {
        level: 'Warning',
        message: `Incoming email synchronization of mailbox ${label(s)} failed with a transient error and will be retried: ${d.reason}`,
      };
}

async function ignoringDuplicates(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
}

const EMPTY_SUBJECT: Subject = {
  ownerId: '',
  profileId: null,
  name: '',
  emailAddress: null,
  active: false,
  version: 0,
};

/** Folds one mailbox event into the subject; returns whether a field the alerts use changed. */
/**
 * The mailbox events this projection reads: those {@link foldSubject} folds and those that raise alerts. The rest —
 * most of a running system's mailbox events (polls started and synced) — are skipped before any read, so they cost
 * the store nothing here (FerretDB scans `alert_subjects` for each `$in` lookup).
 */
const ALERT_PROJECTION_EVENTS: ReadonlySet<string> = new Set<MailboxEvent['type']>([
  'MailboxProvisioned',
  'MailboxUpdated',
  'MailboxProfileReassigned',
  'MailboxDeactivated',
  'MailboxTestCompleted',
  'MailboxSyncFailed',
]);

function foldSubject(s: Subject, event: MailboxEvent): boolean {
  // An if-chain, not a switch: most mailbox events (and any added later) do not concern the subject.
  if (event.type === 'MailboxProvisioned') {
    s.ownerId = event.data.settings.ownerId;
    s.profileId = event.data.settings.serverProfileId;
    s.name = event.data.settings.name;
    s.emailAddress = event.data.settings.emailAddress;
    s.active = true;
    return true;
  }
  if (event.type === 'MailboxUpdated') {
    const c = event.data.changes;
    let changed = false;
    if (c.ownerId !== undefined) [s.ownerId, changed] = [c.ownerId, true];
    if (c.serverProfileId !== undefined) [s.profileId, changed] = [c.serverProfileId, true];
    if (c.name !== undefined) [s.name, changed] = [c.name, true];
    if (c.emailAddress !== undefined) [s.emailAddress, changed] = [c.emailAddress, true];
    return changed;
  }
  if (event.type === 'MailboxProfileReassigned') {
    s.profileId = event.data.toProfileId;
    return true;
  }
  if (event.type === 'MailboxDeactivated') {
    s.active = false;
    return true;
  }
  return false;
}

/** A subject lost between its delete and its insert (a crash): folded again from the audit trail. */
async function subjectFromAudit(models: VersionedModels, id: string, before: number): Promise<Subject> {
  const events = await models.audit
    .find({ aggregateType: 'mailbox', aggregateId: id, sequence: { $lt: before } })
    .sort({ sequence: 1 })
    .lean<{ type: string; payload: unknown; sequence: number }[]>()
    .exec();
  const s = { ...EMPTY_SUBJECT };
  for (const e of events)
    if (foldSubject(s, { type: e.type, data: e.payload } as MailboxEvent)) s.version = e.sequence;
  return s;
}

/** Documents of an alert collection read back at once (by `_id`: each an index lookup). */
const READS_IN_FLIGHT = 16;

/**
 * Writes a batch's changes to documents keyed by `_id`, each guarded by its `lastSequence`: every change is tried
 * as an insert first (one unordered `insertMany`: the common case, a new alert or a first failure in an hour), and
 * only the documents that existed are read back, one by `_id` each, and updated conditionally on the sequence read.
 * Reading the batch's ids with `$in` first made FerretDB v1 scan the whole collection for every batch.
 */
async function upsertBatch<T extends { _id: string; lastSequence: number }>(
  collection: {
    findOne(filter: object): Promise<unknown>;
    insertMany(docs: never[], options: { ordered: false }): Promise<unknown>;
    updateOne(filter: object, update: object): Promise<unknown>;
  },
  changes: Map<string, { first: number; create: () => T; update: (existing: T) => object | null }>,
): Promise<void> {
  if (changes.size === 0) return;
  const entries = [...changes];
  const existed = await insertMissing(
    collection,
    entries.map(([, change]) => change.create()),
  );
  const again = entries.filter((_, i) => existed.has(i));
  for (let i = 0; i < again.length; i += READS_IN_FLIGHT)
    await Promise.all(
      again.slice(i, i + READS_IN_FLIGHT).map(async ([id, change]) => {
        const doc = (await collection.findOne({ _id: id })) as T | null;
        const update = doc && change.update(doc);
        if (update)
          await ignoringDuplicates(() =>
            collection.updateOne({ _id: id, lastSequence: doc.lastSequence }, update),
          );
      }),
    );
}

/**
 * The alert subjects this projector wrote or read, per read-model version: all of them, read once (FerretDB v1
 * scans `alert_subjects` for an `$in` lookup as for a full read, so one full read beats one lookup per batch). The
 * projector is the only writer of its partitions' subjects; the cache goes with the mailbox cache whenever
 * partitions are reassigned or the projector follows another version ({@link forgetAlertSubjects}).
 */
const subjectCaches = new WeakMap<VersionedModels, Map<string, Subject>>();

export function forgetAlertSubjects(models: VersionedModels): void {
  subjectCaches.delete(models);
}

async function subjectsOf(models: VersionedModels): Promise<Map<string, Subject>> {
  let cache = subjectCaches.get(models);
  if (!cache) {
    cache = new Map();
    for (const raw of await models.alertSubjects.collection.find({}).toArray()) {
      const { _id, ...subject } = raw as unknown as AlertSubjectDocument;
      cache.set(_id, subject);
    }
    subjectCaches.set(models, cache);
  }
  return cache;
}

/**
 * Alerts from a batch of mailbox events (A-1). The projection keeps what it needs of each mailbox (owner,
 * profile, name) in `alert_subjects`, folded from the mailbox's own stream, so an alert names the owner and
 * profile as they were at the event. Alerts are written before the subjects: after a crash in between, the
 * redelivered events raise the same alerts again, which each alert's `lastSequence` filters out.
 */
export async function applyMailboxAlerts(models: VersionedModels, events: EventEnvelope[]): Promise<void> {
  const mine = events.filter((e) => e.aggregateType === 'mailbox' && ALERT_PROJECTION_EVENTS.has(e.type));
  if (mine.length === 0) return;
  const cache = await subjectsOf(models);
  const subjects = new Map<string, { subject: Subject; stored: boolean; changed: boolean }>();
  for (const id of new Set(mine.map((e) => e.aggregateId))) {
    const subject = cache.get(id);
    // A copy: the cache moves only once the batch is written.
    if (subject) subjects.set(id, { subject: { ...subject }, stored: true, changed: false });
  }
  const intents: AlertIntent[] = [];
  const failures: { profileId: string; mailboxId: string; at: string; sequence: number }[] = [];
  for (const e of mine) {
    let entry = subjects.get(e.aggregateId);
    if (!entry) {
      const subject =
        e.sequence > 1 ? await subjectFromAudit(models, e.aggregateId, e.sequence) : { ...EMPTY_SUBJECT };
      entry = { subject, stored: false, changed: false };
      subjects.set(e.aggregateId, entry);
    }
    if (e.sequence <= entry.subject.version) continue;
    const s = entry.subject;
    const event = { type: e.type, data: e.payload } as MailboxEvent;
    if (foldSubject(s, event)) {
      s.version = e.sequence;
      entry.changed = true;
    }
    const raise = (level: AlertLevel, message: string, toProfileOwner: boolean, failed: boolean): void => {
      const base = { level, message, mailboxId: e.aggregateId, profileId: s.profileId, at: e.occurredAt };
      intents.push({ ...base, audience: 'MailboxOwner', userId: s.ownerId, sequence: e.sequence });
      if (toProfileOwner && s.profileId !== null)
        intents.push({ ...base, audience: 'ProfileOwner', userId: null, sequence: e.sequence });
      if (failed && s.profileId !== null)
        failures.push({
          profileId: s.profileId,
          mailboxId: e.aggregateId,
          at: e.occurredAt,
          sequence: e.sequence,
        });
    };
    if (event.type === 'MailboxTestCompleted') {
      const alert = testAlerts(s, event.data);
      if (alert) raise(alert.level, alert.message, alert.toProfileOwner, alert.failed);
    } else if (event.type === 'MailboxSyncFailed') {
      const alert = syncFailureAlert(s, event.data);
      raise(alert.level, alert.message, true, true);
    }
  }

  const alertChanges = new Map<string, AlertIntent[]>();
  for (const a of intents) {
    const id =
      a.audience === 'MailboxOwner'
        ? alertId([a.audience, a.userId, a.mailboxId, a.level, a.message])
        : alertId([a.audience, a.profileId, a.mailboxId, a.level, a.message]);
    alertChanges.set(id, [...(alertChanges.get(id) ?? []), a]);
  }
  await upsertBatch<AlertDocument>(
    models.alerts.collection,
    new Map(
      [...alertChanges].map(([id, list]) => {
        const first = list[0]!;
        const last = list[list.length - 1]!;
        return [
          id,
          {
            first: first.sequence,
            create: () => ({
              _id: id,
              audience: first.audience,
              userId: first.userId,
              level: first.level,
              message: first.message,
              mailboxId: first.mailboxId,
              profileId: last.profileId,
              firstSeenAt: first.at,
              lastSeenAt: last.at,
              count: list.length,
              lastSequence: last.sequence,
            }),
            update: (doc: AlertDocument) => {
              const fresh = list.filter((a) => a.sequence > doc.lastSequence);
              if (fresh.length === 0) return null;
              return {
                $set: { lastSeenAt: last.at, lastSequence: last.sequence, profileId: last.profileId },
                $inc: { count: fresh.length },
              };
            },
          },
        ];
      }),
    ),
  );

  const failureChanges = new Map<string, (typeof failures)[number][]>();
  for (const f of failures) {
    const id = `${f.profileId}:${hourOf(f.at)}:${f.mailboxId}`;
    failureChanges.set(id, [...(failureChanges.get(id) ?? []), f]);
  }
  await upsertBatch<ProfileFailureDocument>(
    models.profileFailures.collection,
    new Map(
      [...failureChanges].map(([id, list]) => {
        const first = list[0]!;
        const last = list[list.length - 1]!;
        return [
          id,
          {
            first: first.sequence,
            create: () => ({
              _id: id,
              profileId: first.profileId,
              mailboxId: first.mailboxId,
              hour: hourOf(first.at),
              firstAt: first.at,
              lastAt: last.at,
              lastSequence: last.sequence,
            }),
            update: (doc: ProfileFailureDocument) =>
              last.sequence > doc.lastSequence
                ? { $set: { lastAt: last.at, lastSequence: last.sequence } }
                : null,
          },
        ];
      }),
    ),
  );

  // Subjects last, in two statements whatever the batch size (FerretDB scans per update or delete).
  const changed = [...subjects].filter(([, e]) => e.changed);
  if (changed.length === 0) return;
  const replace = changed.filter(([, e]) => e.stored).map(([id]) => id);
  try {
    if (replace.length > 0)
      await models.alertSubjects.collection.deleteMany({ _id: { $in: replace as never[] } });
    await ignoringDuplicates(() =>
      models.alertSubjects.collection.insertMany(
        changed.map(([id, e]) => ({ _id: id, ...e.subject })) as never[],
        { ordered: false },
      ),
    );
  } catch (error) {
    // What is stored is unknown now: read it again next time.
    forgetAlertSubjects(models);
    throw error;
  }
  for (const [id, e] of changed) cache.set(id, e.subject);
}

/** Dismissals, from each alert's own stream (one writer per document). */
export async function applyAlertDismissals(models: VersionedModels, events: EventEnvelope[]): Promise<void> {
  for (const e of events) {
    if (e.aggregateType !== 'alert') continue;
    const event = { type: e.type, data: e.payload } as AlertEvent;
    if (event.type !== 'AlertDismissed') continue;
    await ignoringDuplicates(() =>
      models.alertDismissals.collection.updateOne(
        { _id: e.aggregateId as never, version: { $lt: e.sequence } },
        {
          $set: {
            userId: event.data.userId,
            through: event.data.through,
            dismissedAt: event.data.dismissedAt,
            version: e.sequence,
          },
        },
        { upsert: true },
      ),
    );
  }
}
