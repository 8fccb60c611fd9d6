import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import {
  ACT_DELIVERY_METHODS,
  ActDeliveryMethod,
  EMAIL_ADDRESS_STATUSES,
  EmailAddressStatus,
  INCOMING_EMAIL_DELIVERY_METHODS,
  IncomingEmailDeliveryMethod,
  MAILBOX_KINDS,
  MAILBOX_TEST_STATUSES,
  MailboxKind,
  MailboxTestStatus,
  OUTGOING_EMAIL_DELIVERY_METHODS,
  OutgoingEmailDeliveryMethod,
  SMTP_ADDRESS,
} from '@ssync/domain';
import { NON_BLANK } from '../http/openapi';

const Given = () => ValidateIf((_o, v) => v !== undefined);
const oneOf = (values: readonly string[]) => ({ message: `must be one of ${values.join(', ')}` });

export class ProvisionMailboxDto {
  @ApiProperty({ enum: MAILBOX_KINDS })
  @IsIn(MAILBOX_KINDS, oneOf(MAILBOX_KINDS))
  kind!: MailboxKind;

  @ApiProperty({ maxLength: 200, pattern: NON_BLANK, example: 'Alice Smith' })
  @IsString()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'alice@contoso.com',
    description: 'SMTP address',
    maxLength: 320,
    // Empty is no address, as null.
    pattern: `^$|${SMTP_ADDRESS.source}`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  emailAddress?: string | null;

  @ApiPropertyOptional({
    description: 'The user or team that owns the mailbox; defaults to the caller',
    maxLength: 128,
    pattern: NON_BLANK,
  })
  @Given()
  @IsString()
  @MaxLength(128)
  ownerId?: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Needs EmailSettingsAdmin' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  serverProfileId?: string | null;

  @ApiPropertyOptional({ enum: INCOMING_EMAIL_DELIVERY_METHODS, description: 'Needs EmailSettingsAdmin' })
  @Given()
  @IsIn(INCOMING_EMAIL_DELIVERY_METHODS, oneOf(INCOMING_EMAIL_DELIVERY_METHODS))
  incomingEmailDeliveryMethod?: IncomingEmailDeliveryMethod;

  @ApiPropertyOptional({ enum: OUTGOING_EMAIL_DELIVERY_METHODS, description: 'Needs EmailSettingsAdmin' })
  @Given()
  @IsIn(OUTGOING_EMAIL_DELIVERY_METHODS, oneOf(OUTGOING_EMAIL_DELIVERY_METHODS))
  outgoingEmailDeliveryMethod?: OutgoingEmailDeliveryMethod;

  @ApiPropertyOptional({ enum: ACT_DELIVERY_METHODS, description: 'Needs EmailSettingsAdmin' })
  @Given()
  @IsIn(ACT_DELIVERY_METHODS, oneOf(ACT_DELIVERY_METHODS))
  actDeliveryMethod?: ActDeliveryMethod;

  @ApiPropertyOptional({ default: false, description: 'M-8' })
  @Given()
  @IsBoolean()
  syncOnlyFromThisOrg?: boolean;
}

export class UpdateMailboxDto extends PartialType(OmitType(ProvisionMailboxDto, ['kind'] as const)) {}

/** Fields whose change needs EmailSettingsAdmin besides MailboxWrite (M-7). */
export const ADMIN_FIELDS = [
  'serverProfileId',
  'incomingEmailDeliveryMethod',
  'outgoingEmailDeliveryMethod',
  'actDeliveryMethod',
] as const;

export class MailboxCredentialsDto {
  @ApiProperty({ maxLength: 256, pattern: NON_BLANK })
  @IsString()
  @MaxLength(256)
  userName!: string;

  @ApiProperty({ writeOnly: true, description: 'Write-only; stored encrypted, never returned' })
  @IsString()
  @MaxLength(1024)
  password!: string;
}

export const MAILBOX_SORTS = [
  'name',
  '-name',
  'emailAddress',
  '-emailAddress',
  'updatedAt',
  '-updatedAt',
  'createdAt',
  '-createdAt',
] as const;
export type MailboxSort = (typeof MAILBOX_SORTS)[number];

const BOOLEAN_TEXT = ['true', 'false'] as const;

export class ListMailboxesQuery {
  @ApiPropertyOptional({ maxLength: 128 }) @IsOptional() @IsString() @MaxLength(128) serverProfileId?: string;

  @ApiPropertyOptional({ enum: MAILBOX_KINDS })
  @IsOptional()
  @IsIn(MAILBOX_KINDS, oneOf(MAILBOX_KINDS))
  kind?: MailboxKind;

  @ApiPropertyOptional({ maxLength: 128 }) @IsOptional() @IsString() @MaxLength(128) ownerId?: string;

  @ApiPropertyOptional({ enum: EMAIL_ADDRESS_STATUSES })
  @IsOptional()
  @IsIn(EMAIL_ADDRESS_STATUSES, oneOf(EMAIL_ADDRESS_STATUSES))
  emailAddressStatus?: EmailAddressStatus;

  @ApiPropertyOptional({ enum: MAILBOX_TEST_STATUSES })
  @IsOptional()
  @IsIn(MAILBOX_TEST_STATUSES, oneOf(MAILBOX_TEST_STATUSES))
  mailboxStatus?: MailboxTestStatus;

  @ApiPropertyOptional({ enum: MAILBOX_TEST_STATUSES })
  @IsOptional()
  @IsIn(MAILBOX_TEST_STATUSES, oneOf(MAILBOX_TEST_STATUSES))
  incomingEmailStatus?: MailboxTestStatus;

  @ApiPropertyOptional({ enum: MAILBOX_TEST_STATUSES })
  @IsOptional()
  @IsIn(MAILBOX_TEST_STATUSES, oneOf(MAILBOX_TEST_STATUSES))
  outgoingEmailStatus?: MailboxTestStatus;

  @ApiPropertyOptional({ enum: MAILBOX_TEST_STATUSES })
  @IsOptional()
  @IsIn(MAILBOX_TEST_STATUSES, oneOf(MAILBOX_TEST_STATUSES))
  actStatus?: MailboxTestStatus;

  @ApiPropertyOptional({ enum: BOOLEAN_TEXT })
  @IsOptional()
  @IsIn(BOOLEAN_TEXT, oneOf(BOOLEAN_TEXT))
  enabledForIncomingEmail?: 'true' | 'false';

  @ApiPropertyOptional({ enum: BOOLEAN_TEXT })
  @IsOptional()
  @IsIn(BOOLEAN_TEXT, oneOf(BOOLEAN_TEXT))
  enabledForOutgoingEmail?: 'true' | 'false';

  @ApiPropertyOptional({ enum: BOOLEAN_TEXT })
  @IsOptional()
  @IsIn(BOOLEAN_TEXT, oneOf(BOOLEAN_TEXT))
  enabledForAct?: 'true' | 'false';

  @ApiPropertyOptional({ enum: ['Active', 'Inactive'], default: 'Active' })
  @IsOptional()
  @IsIn(['Active', 'Inactive'], oneOf(['Active', 'Inactive']))
  status?: 'Active' | 'Inactive';

  @ApiPropertyOptional({
    description: 'Text in the name or the email address (case-insensitive)',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ enum: MAILBOX_SORTS, default: 'name' })
  @IsOptional()
  @IsIn(MAILBOX_SORTS, oneOf(MAILBOX_SORTS))
  sort?: MailboxSort;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ maxLength: 1024, description: 'The nextCursor of the page before' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;
}
