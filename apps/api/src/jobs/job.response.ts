import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import {
  BULK_ITEM_OUTCOMES,
  BULK_JOB_STATUSES,
  BULK_JOB_TYPES,
  BulkItemOutcome,
  BulkJobStatus,
  BulkJobType,
} from '@ssync/domain';
import { SameFields } from '../http/openapi';
import type { JobView } from './bulk-jobs.service';
import { TestProgress } from './test-progress';

@ApiSchema({ name: 'BulkJobStarted' })
export class BulkJobStartedBody {
  @ApiProperty({ format: 'uuid', description: 'Follow it at GET /api/v1/jobs/{jobId}' })
  jobId!: string;
}

@ApiSchema({ name: 'BulkJobItemResult', description: "One mailbox's command in the job" })
export class BulkJobItemResultBody {
  @ApiProperty()
  mailboxId!: string;

  @ApiProperty({ enum: BULK_ITEM_OUTCOMES, enumName: 'BulkItemOutcome' })
  outcome!: BulkItemOutcome;

  @ApiPropertyOptional({ description: 'Why it was refused' })
  reason?: string;
}

@ApiSchema({
  name: 'BulkJobTestProgress',
  description:
    'How the tests the job requested went: the job completes with its commands, the tests run after',
})
export class BulkJobTestProgressBody implements TestProgress {
  @ApiProperty({ type: 'integer', description: 'Mailboxes whose test this job requested' })
  requested!: number;

  @ApiProperty({
    type: 'integer',
    description: 'Tests that reached a result: succeeded, failed, or all areas not run',
  })
  completed!: number;

  @ApiProperty({ type: 'integer' })
  succeeded!: number;

  @ApiProperty({ type: 'integer' })
  failed!: number;

  @ApiProperty({
    type: 'integer',
    description: "Failed transiently: runs again at the mailbox's nextTestAttemptAt",
  })
  retrying!: number;

  @ApiProperty({ type: 'integer', description: 'Not run yet' })
  waiting!: number;

  @ApiProperty({ type: 'integer', description: "A later request replaced this job's test" })
  superseded!: number;
}

@ApiSchema({ name: 'BulkJob', description: 'A bulk job: progress and a result per mailbox' })
export class BulkJobBody implements JobView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: BULK_JOB_TYPES, enumName: 'BulkJobType' })
  type!: BulkJobType;

  @ApiProperty({ enum: BULK_JOB_STATUSES, enumName: 'BulkJobStatus' })
  status!: BulkJobStatus;

  @ApiProperty({ type: 'integer', description: 'Mailboxes in the job' })
  total!: number;

  @ApiProperty({ type: 'integer', description: 'Mailboxes with a result' })
  done!: number;

  @ApiProperty({ type: 'integer', description: 'Results that are refusals' })
  refused!: number;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt!: string | null;

  @ApiProperty()
  requestedBy!: string;

  @ApiProperty({ type: [BulkJobItemResultBody] })
  results!: BulkJobItemResultBody[];

  @ApiProperty({
    type: BulkJobTestProgressBody,
    nullable: true,
    description: 'A job that requests tests (Test & Enable, or with testAndEnable): null otherwise',
  })
  tests!: BulkJobTestProgressBody | null;
}

const _sameAsView: SameFields<JobView, BulkJobBody> = true;
const _sameAsProgress: SameFields<TestProgress, BulkJobTestProgressBody> = true;
