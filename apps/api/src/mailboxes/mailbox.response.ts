import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import {
  ACT_DELIVERY_METHODS,
  ActDeliveryMethod,
  EMAIL_ADDRESS_STATUSES,
  EmailAddressStatus,
  INCOMING_EMAIL_DELIVERY_METHODS,
  IncomingEmailDeliveryMethod,
  MAILBOX_AREAS,
  MAILBOX_KINDS,
  MAILBOX_TEST_STATUSES,
  MailboxArea,
  MailboxKind,
  MailboxTestStatus,
  OUTGOING_EMAIL_DELIVERY_METHODS,
  OutgoingEmailDeliveryMethod,
} from '@ssync/domain';
import { MailboxView } from '@ssync/read-models';
import { SameFields } from '../http/openapi';

const TEST_STATUS = { enum: MAILBOX_TEST_STATUSES, enumName: 'MailboxTestStatus' } as const;
const nullableText = (description?: string) => ({ type: String, nullable: true, description });
const nullableTime = (description?: string) => ({
  type: String,
  format: 'date-time',
  nullable: true,
  description,
});

@ApiSchema({
  name: 'Mailbox',
  description: 'A user or queue mailbox (M-1): every field but the password, which only says whether set',
})
export class MailboxBody implements MailboxView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ['Active', 'Inactive'] })
  status!: 'Active' | 'Inactive';

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Its version, as in the ETag' })
  version!: number;

  @ApiProperty({ enum: MAILBOX_KINDS, enumName: 'MailboxKind' })
  kind!: MailboxKind;

  @ApiProperty()
  name!: string;

  @ApiProperty(nullableText('SMTP address'))
  emailAddress!: string | null;

  @ApiProperty()
  ownerId!: string;

  @ApiProperty(nullableText('Its email server profile'))
  serverProfileId!: string | null;

  @ApiProperty({ enum: INCOMING_EMAIL_DELIVERY_METHODS, enumName: 'IncomingEmailDeliveryMethod' })
  incomingEmailDeliveryMethod!: IncomingEmailDeliveryMethod;

  @ApiProperty({ enum: OUTGOING_EMAIL_DELIVERY_METHODS, enumName: 'OutgoingEmailDeliveryMethod' })
  outgoingEmailDeliveryMethod!: OutgoingEmailDeliveryMethod;

  @ApiProperty({ enum: ACT_DELIVERY_METHODS, enumName: 'ActDeliveryMethod' })
  actDeliveryMethod!: ActDeliveryMethod;

  @ApiProperty({ description: 'M-8: sync items with Exchange from this org only' })
  syncOnlyFromThisOrg!: boolean;

  @ApiProperty({ enum: EMAIL_ADDRESS_STATUSES, enumName: 'EmailAddressStatus' })
  emailAddressStatus!: EmailAddressStatus;

  @ApiProperty(nullableText("The mailbox's own credentials (user or queue credentials)"))
  credentialsUserName!: string | null;

  @ApiProperty()
  credentialsSet!: boolean;

  @ApiProperty(TEST_STATUS)
  incomingEmailStatus!: MailboxTestStatus;

  @ApiProperty(nullableText())
  incomingEmailStatusReason!: string | null;

  @ApiProperty(TEST_STATUS)
  outgoingEmailStatus!: MailboxTestStatus;

  @ApiProperty(nullableText())
  outgoingEmailStatusReason!: string | null;

  @ApiProperty({ ...TEST_STATUS, description: 'Appointments, contacts and tasks' })
  actStatus!: MailboxTestStatus;

  @ApiProperty(nullableText())
  actStatusReason!: string | null;

  @ApiProperty({ ...TEST_STATUS, description: 'Follows the areas this product synchronizes' })
  mailboxStatus!: MailboxTestStatus;

  @ApiProperty(nullableText())
  mailboxStatusReason!: string | null;

  @ApiProperty()
  enabledForIncomingEmail!: boolean;

  @ApiProperty()
  enabledForOutgoingEmail!: boolean;

  @ApiProperty()
  enabledForAct!: boolean;

  @ApiProperty({ description: 'A requested Test & Enable has not reached its result yet' })
  testPending!: boolean;

  @ApiProperty(nullableText('The request of the latest test'))
  testId!: string | null;

  @ApiProperty(nullableTime())
  testRequestedAt!: string | null;

  @ApiProperty({ enum: MAILBOX_AREAS, enumName: 'MailboxArea', isArray: true })
  testAreas!: MailboxArea[];

  @ApiProperty({ type: 'integer', description: 'Transient failures of the pending test so far' })
  testAttempt!: number;

  @ApiProperty(nullableTime('When a test that failed transiently runs again'))
  nextTestAttemptAt!: string | null;

  @ApiProperty(nullableTime())
  lastSyncAt!: string | null;

  @ApiProperty(nullableTime())
  nextSyncDueAt!: string | null;

  @ApiProperty(nullableText())
  lastSyncError!: string | null;

  @ApiProperty({ type: 'integer' })
  itemsProcessedLastSync!: number;

  @ApiProperty({ type: 'integer' })
  itemsFailedLastSync!: number;
}

@ApiSchema({ name: 'MailboxPage', description: 'A page of mailboxes' })
export class MailboxPageBody {
  @ApiProperty({ type: [MailboxBody] })
  items!: MailboxBody[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as cursor for the next page; null at the end',
  })
  nextCursor!: string | null;
}

const _sameAsView: SameFields<MailboxView, MailboxBody> = true;
