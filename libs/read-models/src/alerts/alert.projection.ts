import { createHash } from 'node:crypto';
import { AlertEvent, AlertLevel, MailboxArea, MailboxEvent } from '@ssync/domain';
import { EventEnvelope } from '@ssync/messaging';
import { AnyBulkWriteOperation } from 'mongodb';
import type { VersionedModels } from '../read-models';
import { isDuplicateKey } from '../projection/mongo-errors';
import { AlertAudience, AlertSubjectDocument } from './alert.schema';

const AREA_NAMES: Record<MailboxArea, string> = {
  incomingEmail: 'incoming email',
  outgoingEmail: 'outgoing email',
  act: 'appointments, contacts and tasks',
};

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

type Subject = Omit<AlertSubjectDocument, '_id'>;

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
function testAlerts(
  s: Subject,
  d: Extract<MailboxEvent, { type: 'MailboxTestCompleted' }>['data'],
): { level: AlertLevel; message: string; toProfileOwner: boolean; failed: boolean } | null {
  if (d.mailboxStatus === 'Success')
    return {
      level: 'Information',
      message: `Mailbox ${label(s)} was tested and enabled.`,
      toProfileOwner: false,
      failed: false,
    };
  const failed = (
    Object.entries(d.areas) as [MailboxArea, NonNullable<(typeof d.areas)[MailboxArea]>][]
  ).filter(([, o]) => o.status === 'Failure');
  if (failed.length === 0 && d.mailboxStatus !== 'Failure') return null;
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

function syncFailureAlert(
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

/**
 * Alerts from a batch of mailbox events (A-1). The projection keeps what it needs of each mailbox (owner,
 * profile, name) in `alert_subjects`, folded from the mailbox's own stream, so an alert names the owner and
 * profile as they were at the event. Alerts are written before the subject advances: after a crash in between,
 * the redelivered events raise the same alerts, which their `lastSequence` guard applies once.
 */
export async function applyMailboxAlerts(models: VersionedModels, events: EventEnvelope[]): Promise<void> {
  const mine = events.filter((e) => e.aggregateType === 'mailbox');
  if (mine.length === 0) return;
  const ids = [...new Set(mine.map((e) => e.aggregateId))];
  const subjects = new Map<string, { subject: Subject; changed: boolean }>();
  for (const raw of await models.alertSubjects.collection.find({ _id: { $in: ids as never[] } }).toArray()) {
    const { _id, ...subject } = raw as unknown as AlertSubjectDocument;
    subjects.set(_id, { subject, changed: false });
  }
  const intents: AlertIntent[] = [];
  const failures: { profileId: string; mailboxId: string; at: string; sequence: number }[] = [];
  for (const e of mine) {
    const current = subjects.get(e.aggregateId)?.subject ?? {
      ownerId: '',
      profileId: null,
      name: '',
      emailAddress: null,
      active: false,
      version: 0,
    };
    if (e.sequence <= current.version) continue;
    const s: Subject = { ...current, version: e.sequence };
    const event = { type: e.type, data: e.payload } as MailboxEvent;
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
    // An if-chain, not a switch: most mailbox events (and any added later) only advance the subject's version.
    if (event.type === 'MailboxProvisioned') {
      s.ownerId = event.data.settings.ownerId;
      s.profileId = event.data.settings.serverProfileId;
      s.name = event.data.settings.name;
      s.emailAddress = event.data.settings.emailAddress;
      s.active = true;
    } else if (event.type === 'MailboxUpdated') {
      const c = event.data.changes;
      if (c.ownerId !== undefined) s.ownerId = c.ownerId;
      if (c.serverProfileId !== undefined) s.profileId = c.serverProfileId;
      if (c.name !== undefined) s.name = c.name;
      if (c.emailAddress !== undefined) s.emailAddress = c.emailAddress;
    } else if (event.type === 'MailboxProfileReassigned') {
      s.profileId = event.data.toProfileId;
    } else if (event.type === 'MailboxDeactivated') {
      s.active = false;
    } else if (event.type === 'MailboxTestCompleted') {
      const alert = testAlerts(s, event.data);
      if (alert) raise(alert.level, alert.message, alert.toProfileOwner, alert.failed);
    } else if (event.type === 'MailboxSyncFailed') {
      const alert = syncFailureAlert(s, event.data);
      raise(alert.level, alert.message, true, true);
    }
    subjects.set(e.aggregateId, { subject: s, changed: true });
  }

  for (const a of intents) {
    const id =
      a.audience === 'MailboxOwner'
        ? alertId([a.audience, a.userId, a.mailboxId, a.level, a.message])
        : alertId([a.audience, a.profileId, a.mailboxId, a.level, a.message]);
    await ignoringDuplicates(() =>
      models.alerts.collection.updateOne(
        { _id: id as never, lastSequence: { $lt: a.sequence } },
        {
          $set: { lastSeenAt: a.at, lastSequence: a.sequence, profileId: a.profileId },
          $inc: { count: 1 },
          $setOnInsert: {
            audience: a.audience,
            userId: a.userId,
            level: a.level,
            message: a.message,
            mailboxId: a.mailboxId,
            firstSeenAt: a.at,
          },
        },
        { upsert: true },
      ),
    );
  }
  for (const f of failures) {
    const hour = hourOf(f.at);
    await ignoringDuplicates(() =>
      models.profileFailures.collection.updateOne(
        { _id: `${f.profileId}:${hour}:${f.mailboxId}` as never, lastSequence: { $lt: f.sequence } },
        {
          $set: { lastAt: f.at, lastSequence: f.sequence },
          $setOnInsert: { profileId: f.profileId, mailboxId: f.mailboxId, hour, firstAt: f.at },
        },
        { upsert: true },
      ),
    );
  }
  const writes: AnyBulkWriteOperation[] = [];
  for (const [id, { subject, changed }] of subjects) {
    if (!changed) continue;
    writes.push({
      updateOne: {
        filter: { _id: id as never, version: { $lt: subject.version } },
        update: { $set: subject },
        upsert: true,
      },
    });
  }
  if (writes.length > 0)
    await ignoringDuplicates(() => models.alertSubjects.collection.bulkWrite(writes, { ordered: false }));
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
