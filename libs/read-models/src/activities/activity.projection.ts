import { ActivityEvent } from '@ssync/domain';
import { EventEnvelope } from '@ssync/messaging';
import type { VersionedModels } from '../read-models';
import { isDuplicateKey } from '../projection/mongo-errors';

async function guarded(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    // E11000 on an upsert: the document is at this sequence or later already.
    if (!isDuplicateKey(error)) throw error;
  }
}

/**
 * Email activities and the tracking ledger. An activity's events live in one partition and arrive in order; every
 * write is conditional on the document's `version` being older than the event, so redelivery and replay apply
 * each event once (no transactions needed: one writer per document).
 */
/** Indexes of the documents an unordered insertMany did not insert because they exist already. */
async function insertNew(
  collection: { insertMany(docs: never[], options: { ordered: false }): Promise<unknown> },
  docs: Record<string, unknown>[],
): Promise<Set<number>> {
  if (docs.length === 0) return new Set();
  try {
    await collection.insertMany(docs as never[], { ordered: false });
    return new Set();
  } catch (error) {
    const writeErrors = (error as { writeErrors?: { index: number; code?: number }[] }).writeErrors;
    if (!writeErrors || writeErrors.some((w) => w.code !== 11000)) throw error;
    return new Set(writeErrors.map((w) => w.index));
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
  const ledgerFirst: { e: EventEnvelope; entry: LedgerEntry }[] = [];
  const updates: EventEnvelope[] = [];
  for (const e of events) {
    if (e.aggregateType !== 'activity') continue;
    const event = { type: e.type, data: e.payload } as ActivityEvent;
    switch (event.type) {
      case 'IncomingEmailTracked': {
        const d = event.data;
        creations.push(incomingDocument(e.aggregateId, e.sequence, d));
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
      case 'OutgoingEmailQueued':
        creations.push(outgoingDocument(e.aggregateId, e.sequence, event.data));
        break;
      case 'OutgoingEmailSendClaimed':
      case 'OutgoingEmailSent':
      case 'OutgoingEmailSendFailed':
        updates.push(e);
        break;
    }
  }
  // A document that exists already was created by this very event before (a replay): nothing more to do for it.
  await insertNew(models.emailActivities.collection, creations);
  const ledgerDocs = ledgerFirst.map(({ e, entry }) => ({ _id: e.aggregateId, ...ledgerDocument(e, entry) }));
  const existing = await insertNew(models.trackingLedger.collection, ledgerDocs);
  // Two entries of one message in a batch: the first is inserted, the next ones update it, in order.
  for (const [i, { e, entry }] of ledgerFirst.entries())
    if (existing.has(i)) await ledgerUpdate(models, e, entry);
  for (const e of updates) await applyUpdate(models, e);
}

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

async function applyUpdate(models: VersionedModels, e: EventEnvelope): Promise<void> {
  const event = { type: e.type, data: e.payload } as ActivityEvent;
  const newer = { _id: e.aggregateId as never, version: { $lt: e.sequence } };
  switch (event.type) {
    case 'OutgoingEmailSendClaimed':
      await models.emailActivities.collection.updateOne(newer, { $set: { version: e.sequence } });
      break;
    case 'OutgoingEmailSent': {
      const d = event.data;
      await models.emailActivities.collection.updateOne(newer, {
        $set: {
          status: 'Sent',
          attempt: d.attempt,
          exchangeItemId: d.exchangeItemId,
          internetMessageId: d.internetMessageId,
          sentAt: d.sentAt,
          nextAttemptAt: null,
          failureReason: null,
          version: e.sequence,
        },
      });
      break;
    }
    case 'OutgoingEmailSendFailed': {
      const d = event.data;
      await models.emailActivities.collection.updateOne(newer, {
        $set: {
          status: d.nextAttemptAt === null ? 'Failed' : 'PendingSend',
          attempt: d.attempt,
          nextAttemptAt: d.nextAttemptAt,
          failureReason: d.reason,
          version: e.sequence,
        },
      });
      break;
    }
    case 'IncomingEmailTracked':
    case 'MessageOutcomeRecorded':
    case 'OutgoingEmailQueued':
      break;
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
