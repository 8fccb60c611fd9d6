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
export async function applyActivities(models: VersionedModels, events: EventEnvelope[]): Promise<void> {
  for (const e of events) {
    if (e.aggregateType !== 'activity') continue;
    const event = { type: e.type, data: e.payload } as ActivityEvent;
    const id = e.aggregateId;
    const newer = { _id: id as never, version: { $lt: e.sequence } };
    switch (event.type) {
      case 'IncomingEmailTracked': {
        const d = event.data;
        // The event that creates the activity: an insert (a redelivery meets the document and is ignored).
        await guarded(() =>
          models.emailActivities.collection.insertOne({
            _id: id as never,
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
            version: e.sequence,
          }),
        );
        await ledger(models, e, {
          mailboxId: d.mailboxId,
          exchangeItemId: d.exchangeItemId,
          internetMessageId: d.internetMessageId,
          outcome: 'Tracked',
          reason: 'tracked as an email activity',
          at: d.trackedAt,
          tracked: true,
        });
        break;
      }
      case 'MessageOutcomeRecorded':
        // Only the ledger: an activity's view does not change when its message is seen again.
        await ledger(models, e, { ...event.data, tracked: false });
        break;
      case 'OutgoingEmailQueued': {
        const d = event.data;
        await guarded(() =>
          models.emailActivities.collection.insertOne({
            _id: id as never,
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
            version: e.sequence,
          }),
        );
        break;
      }
      case 'OutgoingEmailSendClaimed':
        // Which worker may send is the workers' business (the API shows none of it); the version still moves, so
        // X-Min-Version and ETags stay in step with the aggregate.
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
      default:
        // An event type this version does not know (written by a newer one): nothing to show yet.
        break;
    }
  }
}

async function ledger(
  models: VersionedModels,
  e: EventEnvelope,
  entry: {
    mailboxId: string;
    exchangeItemId: string;
    internetMessageId: string | null;
    outcome: string;
    reason: string;
    at: string;
    tracked: boolean;
  },
): Promise<void> {
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
  const item = { outcome: entry.outcome, reason: entry.reason, at: entry.at };
  try {
    // Most messages are seen once: an insert (cheap on FerretDB, which scans the collection for every update).
    await models.trackingLedger.collection.insertOne({
      _id: e.aggregateId as never,
      ...set,
      tracked: entry.tracked,
      trackedAt: entry.tracked ? entry.at : null,
      firstSeenAt: entry.at,
      seen: 1,
      history: [item],
    });
    return;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
  await guarded(() =>
    models.trackingLedger.collection.updateOne(
      { _id: e.aggregateId as never, version: { $lt: e.sequence } },
      { $set: set, $inc: { seen: 1 }, $push: { history: item } as never },
    ),
  );
}
