import { ActivityEvent } from '@ssync/domain';
import { EventEnvelope } from '@ssync/messaging';
import type { VersionedModels } from '../read-models';
import { insertMissing, isDuplicateKey } from '../projection/mongo-errors';

async function guarded(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    // E11000 on an upsert: the document is at this sequence or later already.
    if (!isDuplicateKey(error)) throw error;
  }
}

type LedgerEntry = {
  mailboxId: string;
  exchangeItemId: string;
  internetMessageId: string | null;
  outcome: string;
  reason: string;
  at: string;
  tracked: boolean;
};

/**
 * Email activities and the tracking ledger. An activity's events live in one partition and arrive in order; every
 * write is conditional on the document's `version` being older than the event, so redelivery and replay apply
 * each event once (no transactions needed: one writer per document).
 *
 * In bulk (issue #9: a rebuild at the speed of the log): an activity's first event creates its document, so a
 * batch's creations go in one unordered insertMany each (activities, ledger); what exists already — a replay, or
 * a message seen before — falls back to the guarded per-document update, in order, after them. On FerretDB one
 * insertMany of 2,000 documents of 4 KB costs what ~20 single inserts do.
 */
export async function applyActivities(models: VersionedModels, events: EventEnvelope[]): Promise<void> {
  const creations: Record<string, unknown>[] = [];
  /** Per activity created in this batch: its document, and the later events' fields folded into it. */
  const created = new Map<string, { doc: Record<string, unknown>; folded: Record<string, unknown> | null }>();
  const ledgerFirst: { e: EventEnvelope; entry: LedgerEntry }[] = [];
  /** Per activity created before this batch: every later event's fields, merged (each `$set`s final values). */
  const merged = new Map<string, Record<string, unknown>>();
  for (const e of events) {
    if (e.aggregateType !== 'activity') continue;
    const event = { type: e.type, data: e.payload } as ActivityEvent;
    switch (event.type) {
      case 'IncomingEmailTracked': {
        const d = event.data;
        const doc = incomingDocument(e.aggregateId, e.sequence, d);
        creations.push(doc);
        created.set(e.aggregateId, { doc, folded: null });
        ledgerFirst.push({
          e,
          entry: {
            mailboxId: d.mailboxId,
            exchangeItemId: d.exchangeItemId,
            internetMessageId: d.internetMessageId,
            outcome: 'Tracked',
            reason: 'tracked as an email activity',
            at: d.trackedAt,
            tracked: true,
          },
        });
        break;
      }
      case 'MessageOutcomeRecorded':
        ledgerFirst.push({ e, entry: { ...event.data, tracked: false } });
        break;
      case 'OutgoingEmailQueued': {
        const doc = outgoingDocument(e.aggregateId, e.sequence, event.data);
        creations.push(doc);
        created.set(e.aggregateId, { doc, folded: null });
        break;
      }
      case 'OutgoingEmailSendClaimed':
      case 'OutgoingEmailSent':
      case 'OutgoingEmailSendFailed': {
        const fields = updateFields(event, e.sequence);
        const mine = created.get(e.aggregateId);
        if (mine) {
          Object.assign(mine.doc, fields);
          mine.folded = { ...mine.folded, ...fields };
        } else merged.set(e.aggregateId, { ...merged.get(e.aggregateId), ...fields });
        break;
      }
    }
  }
  // An activity document that exists already was created by its first event before (a replay); what this batch
  // folded into it still applies, guarded by its version.
  const existingActivities = await insertMissing(models.emailActivities.collection, creations);
  for (const i of existingActivities) {
    const id = String(creations[i]!._id);
    const folded = created.get(id)?.folded;
    if (folded) merged.set(id, { ...folded, ...merged.get(id) });
  }
  const ledgerDocs = ledgerFirst.map(({ e, entry }) => ({ _id: e.aggregateId, ...ledgerDocument(e, entry) }));
  const existing = await insertMissing(models.trackingLedger.collection, ledgerDocs);
  // Two entries of one message in a batch: the first is inserted, the next ones update it, in order.
  for (const [i, { e, entry }] of ledgerFirst.entries())
    if (existing.has(i)) await ledgerUpdate(models, e, entry);
  // Absolute values only, so applying the merged fields of several events is applying them one after another.
  const updates = [...merged];
  for (let i = 0; i < updates.length; i += UPDATES_IN_FLIGHT)
    await Promise.all(
      updates
        .slice(i, i + UPDATES_IN_FLIGHT)
        .map(([id, fields]) =>
          models.emailActivities.collection.updateOne(
            { _id: id as never, version: { $lt: fields.version as number } },
            { $set: fields },
          ),
        ),
    );
}

/** Activity documents updated at once; FerretDB v1 serves each from its own pooled PostgreSQL connection. */
const UPDATES_IN_FLIGHT = 16;

function incomingDocument(
  id: string,
  version: number,
  d: Extract<ActivityEvent, { type: 'IncomingEmailTracked' }>['data'],
): Record<string, unknown> {
  return {
    _id: id,
    mailboxId: d.mailboxId,
    direction: 'Incoming',
    status: 'Tracked',
    subject: d.subject,
    from: d.from,
    to: d.to,
    cc: d.cc,
    body: d.body,
    bodyType: d.bodyType,
    receivedAt: d.receivedAt,
    sentAt: d.sentAt,
    queuedAt: null,
    trackedAt: d.trackedAt,
    exchangeItemId: d.exchangeItemId,
    internetMessageId: d.internetMessageId,
    failureReason: null,
    attempt: 0,
    nextAttemptAt: null,
    sortAt: d.receivedAt,
    version,
  };
}

function outgoingDocument(
  id: string,
  version: number,
  d: Extract<ActivityEvent, { type: 'OutgoingEmailQueued' }>['data'],
): Record<string, unknown> {
  return {
    _id: id,
    mailboxId: d.mailboxId,
    direction: 'Outgoing',
    status: 'PendingSend',
    subject: d.subject,
    from: d.from,
    to: d.to,
    cc: d.cc,
    body: d.body,
    bodyType: d.bodyType,
    receivedAt: null,
    sentAt: null,
    queuedAt: d.queuedAt,
    trackedAt: null,
    exchangeItemId: null,
    internetMessageId: null,
    failureReason: null,
    attempt: 0,
    nextAttemptAt: null,
    sortAt: d.queuedAt,
    version,
  };
}

/** The fields an outgoing email's later event sets (all absolute values), its version included. */
function updateFields(
  event: Extract<
    ActivityEvent,
    { type: 'OutgoingEmailSendClaimed' | 'OutgoingEmailSent' | 'OutgoingEmailSendFailed' }
  >,
  version: number,
): Record<string, unknown> {
  switch (event.type) {
    case 'OutgoingEmailSendClaimed':
      return { version };
    case 'OutgoingEmailSent': {
      const d = event.data;
      return {
        status: 'Sent',
        attempt: d.attempt,
        exchangeItemId: d.exchangeItemId,
        internetMessageId: d.internetMessageId,
        sentAt: d.sentAt,
        nextAttemptAt: null,
        failureReason: null,
        version,
      };
    }
    case 'OutgoingEmailSendFailed': {
      const d = event.data;
      return {
        status: d.nextAttemptAt === null ? 'Failed' : 'PendingSend',
        attempt: d.attempt,
        nextAttemptAt: d.nextAttemptAt,
        failureReason: d.reason,
        version,
      };
    }
  }
}

function ledgerFields(e: EventEnvelope, entry: LedgerEntry): Record<string, unknown> {
  const set: Record<string, unknown> = {
    activityId: e.aggregateId,
    mailboxId: entry.mailboxId,
    exchangeItemId: entry.exchangeItemId,
    internetMessageId: entry.internetMessageId,
    outcome: entry.outcome,
    reason: entry.reason,
    at: entry.at,
    version: e.sequence,
  };
  if (entry.tracked) {
    set.tracked = true;
    set.trackedAt = entry.at;
  }
  return set;
}

function ledgerDocument(e: EventEnvelope, entry: LedgerEntry): Record<string, unknown> {
  return {
    ...ledgerFields(e, entry),
    tracked: entry.tracked,
    trackedAt: entry.tracked ? entry.at : null,
    firstSeenAt: entry.at,
    seen: 1,
    history: [{ outcome: entry.outcome, reason: entry.reason, at: entry.at }],
  };
}

async function ledgerUpdate(models: VersionedModels, e: EventEnvelope, entry: LedgerEntry): Promise<void> {
  const item = { outcome: entry.outcome, reason: entry.reason, at: entry.at };
  await guarded(() =>
    models.trackingLedger.collection.updateOne(
      { _id: e.aggregateId as never, version: { $lt: e.sequence } },
      { $set: ledgerFields(e, entry), $inc: { seen: 1 }, $push: { history: item } as never },
    ),
  );
}
