import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { LedgerOutcome, MESSAGE_OUTCOMES } from '@ssync/domain';
import { SameFields } from '../http/openapi';
import type { TrackingLatencyView } from './activity.queries';
import type { LedgerEntryView } from './activity.view';
import type { LatencyBucket } from './tracking-latency';

const OUTCOME = { enum: ['Tracked', ...MESSAGE_OUTCOMES], enumName: 'LedgerOutcome' } as const;
const time = (description?: string) => ({ type: String, format: 'date-time', description });
const nullableMs = (description: string) => ({ type: 'integer' as const, nullable: true, description });

type LedgerSighting = LedgerEntryView['history'][number];

@ApiSchema({ name: 'LedgerSighting', description: 'One outcome recorded for the message, as it happened' })
export class LedgerSightingBody implements LedgerSighting {
  @ApiProperty(OUTCOME)
  outcome!: LedgerOutcome;

  @ApiProperty()
  reason!: string;

  @ApiProperty(time())
  at!: string;
}

@ApiSchema({
  name: 'LedgerEntry',
  description: 'B-1: a message a worker saw in the mailbox, whether it was tracked, and why (not)',
})
export class LedgerEntryBody implements LedgerEntryView {
  @ApiProperty({ description: 'The email activity the message is (or would be) tracked as' })
  activityId!: string;

  @ApiProperty()
  mailboxId!: string;

  @ApiProperty({ type: String, nullable: true, description: 'Internet Message-ID' })
  internetMessageId!: string | null;

  @ApiProperty()
  exchangeItemId!: string;

  @ApiProperty({ ...OUTCOME, description: 'The latest outcome' })
  outcome!: LedgerOutcome;

  @ApiProperty({ description: 'Why: the rule, error or state behind the latest outcome' })
  reason!: string;

  @ApiProperty(time('The latest sighting'))
  at!: string;

  @ApiProperty(time())
  firstSeenAt!: string;

  @ApiProperty()
  tracked!: boolean;

  @ApiProperty({ ...time(), nullable: true })
  trackedAt!: string | null;

  @ApiProperty({ type: 'integer', description: 'How many times a worker recorded an outcome for it' })
  seen!: number;

  @ApiProperty({ type: [LedgerSightingBody], description: 'Every outcome recorded, oldest first' })
  history!: LedgerSightingBody[];
}

@ApiSchema({ name: 'LedgerPage', description: 'A page of the tracking ledger, latest sighting first' })
export class LedgerPageBody {
  @ApiProperty({ type: [LedgerEntryBody] })
  items!: LedgerEntryBody[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as cursor for the next page; null at the end',
  })
  nextCursor!: string | null;
}

@ApiSchema({ name: 'LatencyBucket', description: 'One interval of the window' })
export class LatencyBucketBody implements LatencyBucket {
  @ApiProperty(time())
  from!: string;

  @ApiProperty(time())
  to!: string;

  @ApiProperty({ type: 'integer', description: 'Incoming messages tracked in the interval' })
  count!: number;

  @ApiProperty(nullableMs('Median arrival-to-tracked latency; null without messages'))
  p50Ms!: number | null;

  @ApiProperty(nullableMs('95th percentile; null without messages'))
  p95Ms!: number | null;
}

@ApiSchema({
  name: 'TrackingLatency',
  description: 'B-5: how long incoming email took from arriving in Exchange to being tracked in the CRM',
})
export class TrackingLatencyBody implements TrackingLatencyView {
  @ApiProperty()
  mailboxId!: string;

  @ApiProperty(time('The start of the window'))
  since!: string;

  @ApiProperty({
    type: 'integer',
    description: 'Incoming messages tracked in the window (at most the 10,000 most recent are measured)',
  })
  count!: number;

  @ApiProperty(nullableMs('Over the whole window'))
  p50Ms!: number | null;

  @ApiProperty(nullableMs('Over the whole window'))
  p95Ms!: number | null;

  @ApiProperty(nullableMs('Over the whole window'))
  maxMs!: number | null;

  @ApiProperty({ ...time(), nullable: true })
  lastTrackedAt!: string | null;

  @ApiProperty({ type: [LatencyBucketBody], description: 'The window in equal intervals, oldest first' })
  series!: LatencyBucketBody[];
}

const _ledger: SameFields<LedgerEntryView, LedgerEntryBody> = true;
const _sighting: SameFields<LedgerSighting, LedgerSightingBody> = true;
const _latency: SameFields<TrackingLatencyView, TrackingLatencyBody> = true;
const _bucket: SameFields<LatencyBucket, LatencyBucketBody> = true;
