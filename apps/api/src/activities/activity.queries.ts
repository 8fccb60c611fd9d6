import { NotFoundException } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ActiveVersion, EmailActivityDocument, ReadModels, TrackingLedgerDocument } from '@ssync/read-models';
import { ValidationFailed } from '../http/errors';
import { MailboxDirectory } from '../mailboxes/mailbox-directory.service';
import { LedgerQuery, ListActivitiesQuery } from './activity.dto';
import { EmailActivityView, LedgerEntryView, activityViewFromDocument, ledgerView } from './activity.view';
import { LatencyBucket, latencySeries, percentile } from './tracking-latency';

export class GetEmailActivity {
  constructor(
    readonly activityId: string,
    readonly minVersion?: number,
  ) {}
}
export class ListEmailActivities {
  constructor(
    readonly query: ListActivitiesQuery,
    /** Only activities of these mailboxes (the caller's reach, docs/adr/0020); absent: every mailbox. */
    readonly mailboxIds?: readonly string[],
  ) {}
}
export class GetMailboxLedger {
  constructor(
    readonly mailboxId: string,
    readonly query: LedgerQuery,
  ) {}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Cursors are (time, id) of the last item returned, for newest-first order. */
function encodeCursor(t: string, i: string): string {
  return Buffer.from(JSON.stringify({ t, i })).toString('base64url');
}

function decodeCursor(cursor: string): { t: string; i: string } {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; i?: unknown };
    if (typeof c.t === 'string' && typeof c.i === 'string') return { t: c.t, i: c.i };
  } catch {
    // fall through
  }
  throw new ValidationFailed([
    { field: 'cursor', rule: 'cursor', message: 'is not a cursor this API returned' },
  ]);
}

function olderThan(field: string, cursor: string): Record<string, unknown> {
  const c = decodeCursor(cursor);
  return { $or: [{ [field]: { $lt: c.t } }, { [field]: c.t, _id: { $lt: c.i } }] };
}

@QueryHandler(GetEmailActivity)
export class GetEmailActivityHandler implements IQueryHandler<GetEmailActivity, EmailActivityView> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
  ) {}

  /** With `minVersion`, waits briefly for the projection to reach it: a client reads its own writes. */
  async execute({ activityId, minVersion }: GetEmailActivity): Promise<EmailActivityView> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const models = this.readModels.at(await this.active.get());
      const doc = await models.emailActivities.findById(activityId).lean<EmailActivityDocument>().exec();
      if (doc && (minVersion === undefined || doc.version >= minVersion))
        return activityViewFromDocument(doc);
      if (minVersion === undefined || Date.now() > deadline) {
        if (!doc)
          throw new NotFoundException({
            statusCode: 404,
            error: 'Not Found',
            message: `email activity ${activityId} does not exist`,
          });
        return activityViewFromDocument(doc);
      }
      await sleep(25);
    }
  }
}

@QueryHandler(ListEmailActivities)
export class ListEmailActivitiesHandler implements IQueryHandler<
  ListEmailActivities,
  { items: EmailActivityView[]; nextCursor: string | null }
> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
  ) {}

  /** Newest first; every filter is an equality that leads an index ending in (sortAt, _id). */
  async execute({
    query,
    mailboxIds,
  }: ListEmailActivities): Promise<{ items: EmailActivityView[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    if (mailboxIds?.length === 0) return { items: [], nextCursor: null };
    const and: Record<string, unknown>[] = [];
    if (mailboxIds !== undefined) and.push({ mailboxId: { $in: [...mailboxIds] } });
    if (query.mailboxId !== undefined) and.push({ mailboxId: query.mailboxId });
    if (query.direction !== undefined) and.push({ direction: query.direction });
    if (query.status !== undefined) and.push({ status: query.status });
    if (query.cursor) and.push(olderThan('sortAt', query.cursor));
    const models = this.readModels.at(await this.active.get());
    const docs = await models.emailActivities
      .find(and.length === 0 ? {} : and.length === 1 ? and[0]! : { $and: and })
      .sort({ sortAt: -1, _id: -1 })
      .limit(limit + 1)
      .lean<EmailActivityDocument[]>()
      .exec();
    const page = docs.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(activityViewFromDocument),
      nextCursor: docs.length > limit && last ? encodeCursor(last.sortAt, last._id) : null,
    };
  }
}

@QueryHandler(GetMailboxLedger)
export class GetMailboxLedgerHandler implements IQueryHandler<
  GetMailboxLedger,
  { items: LedgerEntryView[]; nextCursor: string | null }
> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
    private readonly directory: MailboxDirectory,
  ) {}

  /** B-1: every message a worker saw in the mailbox, latest sighting first, with its outcome and reason. */
  async execute({
    mailboxId,
    query,
  }: GetMailboxLedger): Promise<{ items: LedgerEntryView[]; nextCursor: string | null }> {
    const limit = query.limit ?? 100;
    const models = this.readModels.at(await this.active.get());
    if (!(await this.directory.get(mailboxId)))
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        message: `mailbox ${mailboxId} does not exist`,
      });
    const and: Record<string, unknown>[] = [{ mailboxId }];
    if (query.outcome !== undefined) and.push({ outcome: query.outcome });
    if (query.internetMessageId !== undefined) and.push({ internetMessageId: query.internetMessageId });
    if (query.cursor) and.push(olderThan('at', query.cursor));
    const docs = await models.trackingLedger
      .find(and.length === 1 ? and[0]! : { $and: and })
      .sort({ at: -1, _id: -1 })
      .limit(limit + 1)
      .lean<TrackingLedgerDocument[]>()
      .exec();
    const page = docs.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(ledgerView),
      nextCursor: docs.length > limit && last ? encodeCursor(last.at, last._id) : null,
    };
  }
}

export class GetTrackingLatency {
  constructor(
    readonly mailboxId: string,
    readonly hours: number,
    readonly now: Date = new Date(),
    readonly buckets = 24,
  ) {}
}

export interface TrackingLatencyView {
  mailboxId: string;
  since: string;
  /** Incoming messages tracked in the window (at most the 10,000 most recent are measured). */
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  lastTrackedAt: string | null;
  /** The window in `buckets` equal intervals, oldest first: the latency over time. */
  series: LatencyBucket[];
}

export { percentile };

@QueryHandler(GetTrackingLatency)
export class GetTrackingLatencyHandler implements IQueryHandler<GetTrackingLatency, TrackingLatencyView> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
    private readonly directory: MailboxDirectory,
  ) {}

  /** B-5: arrival-to-tracked latency of a mailbox's incoming email (received in Exchange → activity tracked). */
  async execute({ mailboxId, hours, now, buckets }: GetTrackingLatency): Promise<TrackingLatencyView> {
    if (!(await this.directory.get(mailboxId)))
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        message: `mailbox ${mailboxId} does not exist`,
      });
    const since = new Date(now.getTime() - hours * 3_600_000).toISOString();
    const models = this.readModels.at(await this.active.get());
    const docs = await models.emailActivities
      .find(
        { mailboxId, direction: 'Incoming', status: 'Tracked', sortAt: { $gte: since } },
        { receivedAt: 1, trackedAt: 1 },
      )
      .sort({ sortAt: -1, _id: -1 })
      .limit(10_000)
      .lean<Pick<EmailActivityDocument, 'receivedAt' | 'trackedAt'>[]>()
      .exec();
    const samples = docs
      .filter((d) => d.receivedAt !== null && d.trackedAt !== null)
      .map((d) => {
        const trackedAtMs = Date.parse(d.trackedAt!);
        return { trackedAtMs, latencyMs: Math.max(0, trackedAtMs - Date.parse(d.receivedAt!)) };
      });
    const latencies = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
    const lastTrackedAt = docs.reduce<string | null>(
      (m, d) => (d.trackedAt !== null && (m === null || d.trackedAt > m) ? d.trackedAt : m),
      null,
    );
    return {
      mailboxId,
      since,
      count: latencies.length,
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      maxMs: latencies.length > 0 ? latencies[latencies.length - 1]! : null,
      lastTrackedAt,
      series: latencySeries(samples, Date.parse(since), now.getTime(), buckets),
    };
  }
}

export const ACTIVITY_QUERY_HANDLERS = [
  GetEmailActivityHandler,
  ListEmailActivitiesHandler,
  GetMailboxLedgerHandler,
  GetTrackingLatencyHandler,
];
