import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { AuditDocument } from '@ssync/read-models';
import { SameFields } from '../http/openapi';
import { MailboxBody } from '../mailboxes/mailbox.response';

/** An event of the audit trail as the API shows it: the stored document, its `_id` named `eventId`. */
export type AuditEntry = Omit<AuditDocument, '_id'> & { eventId: string };

@ApiSchema({ name: 'AuditEvent', description: 'One event of the log (A-2), secrets redacted' })
export class AuditEventBody implements AuditEntry {
  @ApiProperty()
  eventId!: string;

  @ApiProperty({ example: 'mailbox' })
  aggregateType!: string;

  @ApiProperty()
  aggregateId!: string;

  @ApiProperty({ type: 'integer', minimum: 1, description: "The aggregate's version after this event" })
  sequence!: number;

  @ApiProperty({ example: 'MailboxApproved' })
  type!: string;

  @ApiProperty({ type: 'integer' })
  schemaVersion!: number;

  @ApiProperty({ format: 'date-time' })
  occurredAt!: string;

  @ApiProperty({ description: 'The user (or service) whose command caused it' })
  actor!: string;

  @ApiProperty()
  correlationId!: string;

  @ApiProperty()
  causationId!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "The event's data, as its type defines it; secrets replaced by a marker",
  })
  payload!: unknown;
}

@ApiSchema({ name: 'AuditHistory', description: "A page of an aggregate's events, oldest first" })
export class AuditHistoryBody {
  @ApiProperty()
  aggregateId!: string;

  @ApiProperty({ type: [AuditEventBody] })
  events!: AuditEventBody[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as after for the next page; null at the end',
  })
  nextCursor!: string | null;
}

@ApiSchema({
  name: 'MailboxAsOf',
  description: 'A-3: the mailbox as it was at a time, folded from its events up to then',
})
export class MailboxAsOfBody {
  @ApiProperty()
  aggregateId!: string;

  @ApiProperty({ format: 'date-time', description: 'The time asked for, in UTC' })
  asOf!: string;

  @ApiProperty({ type: 'integer', description: 'The version at that time; 0 before the mailbox existed' })
  version!: number;

  @ApiProperty({ type: MailboxBody, nullable: true, description: 'null before the mailbox existed' })
  state!: MailboxBody | null;
}

const _sameAsEntry: SameFields<AuditEntry, AuditEventBody> = true;
