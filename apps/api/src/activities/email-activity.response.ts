import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import {
  ACTIVITY_DIRECTIONS,
  ACTIVITY_STATUSES,
  ActivityDirection,
  ActivityStatus,
  BODY_TYPES,
  BodyType,
} from '@ssync/domain';
import { SameFields } from '../http/openapi';
import { EmailActivityView } from './activity.view';

const nullableText = (description?: string) => ({ type: String, nullable: true, description });
const nullableTime = (description?: string) => ({
  type: String,
  format: 'date-time',
  nullable: true,
  description,
});

@ApiSchema({
  name: 'EmailActivity',
  description:
    'An email activity (S-1, S-3): incoming email tracked from a mailbox, or outgoing email queued to be sent through it',
})
export class EmailActivityBody implements EmailActivityView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'The mailbox it was tracked from or is sent through' })
  mailboxId!: string;

  @ApiProperty({ enum: ACTIVITY_DIRECTIONS, enumName: 'ActivityDirection' })
  direction!: ActivityDirection;

  @ApiProperty({
    enum: ACTIVITY_STATUSES,
    enumName: 'ActivityStatus',
    description: 'Incoming: Tracked. Outgoing: PendingSend, then Sent or Failed',
  })
  status!: ActivityStatus;

  @ApiProperty()
  subject!: string;

  @ApiProperty(nullableText('The sender; outgoing: the address of the sending mailbox'))
  from!: string | null;

  @ApiProperty({ type: [String] })
  to!: string[];

  @ApiProperty({ type: [String] })
  cc!: string[];

  @ApiProperty({
    description:
      'As written or received; with bodyType HTML it is markup from outside: show it as text or sanitized, never as it is',
  })
  body!: string;

  @ApiProperty({ enum: BODY_TYPES, enumName: 'BodyType' })
  bodyType!: BodyType;

  @ApiPropertyOptional(nullableTime('Incoming only: when Exchange received it'))
  receivedAt?: string | null;

  @ApiProperty(nullableTime('When it was sent'))
  sentAt!: string | null;

  @ApiPropertyOptional(nullableTime('Outgoing only: when it was queued'))
  queuedAt?: string | null;

  @ApiProperty(nullableText())
  exchangeItemId!: string | null;

  @ApiProperty(nullableText('Internet Message-ID'))
  internetMessageId!: string | null;

  @ApiPropertyOptional(nullableText('Outgoing only: why sending failed, or why the last attempt did'))
  failureReason?: string | null;

  @ApiProperty({ type: 'integer', description: 'Outgoing: send attempts with an outcome so far' })
  attempt!: number;

  @ApiPropertyOptional(nullableTime('Outgoing only: when a send that failed transiently is tried again'))
  nextAttemptAt?: string | null;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Its version, as in the ETag' })
  version!: number;
}

@ApiSchema({ name: 'EmailActivityPage', description: 'A page of email activities, newest first' })
export class EmailActivityPageBody {
  @ApiProperty({ type: [EmailActivityBody] })
  items!: EmailActivityBody[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as cursor for the next page; null at the end',
  })
  nextCursor!: string | null;
}

const _sameAsView: SameFields<EmailActivityView, EmailActivityBody> = true;
