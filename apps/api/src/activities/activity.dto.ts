import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import {
  ACTIVITY_DIRECTIONS,
  ACTIVITY_LIMITS,
  ACTIVITY_STATUSES,
  ActivityDirection,
  ActivityStatus,
  BODY_TYPES,
  BodyType,
  MESSAGE_OUTCOMES,
  MessageOutcome,
  SMTP_ADDRESS,
} from '@ssync/domain';
import { ID } from '../http/request-context';

const oneOf = (values: readonly string[]) => ({ message: `must be one of ${values.join(', ')}` });

/**
 * Issue #14: recipients are counted before any address is looked at, so a 2 MB body of addresses costs one check
 * and answers one violation, not one per address. The bound is the domain's (to and cc together, as Exchange
 * Server's default MaxRecipientEnvelopeLimit of 500 per message); each list alone is refused here, both together
 * by the command handler.
 */
const RECIPIENTS = {
  items: { type: 'string', maxLength: 320, pattern: SMTP_ADDRESS.source },
  maxItems: ACTIVITY_LIMITS.recipients,
  description: `At most ${ACTIVITY_LIMITS.recipients} addresses in to and cc together`,
} as const;
const atMostRecipients = ArrayMaxSize(ACTIVITY_LIMITS.recipients, {
  message: `must have at most ${ACTIVITY_LIMITS.recipients} addresses (to and cc together)`,
});

/** POST /api/v1/email-activities: an email queued for sending from a mailbox (S-3). */
export class QueueEmailDto {
  @ApiProperty({ description: 'The mailbox that sends the email', pattern: ID.source })
  @IsString()
  @MaxLength(128)
  mailboxId!: string;

  @ApiProperty({
    enum: ['Outgoing'],
    description: 'Only outgoing email can be created; incoming email is tracked',
  })
  @IsIn(['Outgoing'], { message: 'must be Outgoing: incoming email is tracked from Exchange, not created' })
  direction!: 'Outgoing';

  @ApiProperty({ type: 'array', minItems: 1, example: ['bob@fabrikam.com'], ...RECIPIENTS })
  @IsArray()
  @atMostRecipients
  @IsString({ each: true })
  to!: string[];

  @ApiPropertyOptional({ type: 'array', nullable: true, ...RECIPIENTS })
  @IsOptional()
  @IsArray()
  @atMostRecipients
  @IsString({ each: true })
  cc?: string[];

  @ApiProperty({ maxLength: ACTIVITY_LIMITS.subject })
  @IsString()
  @MaxLength(ACTIVITY_LIMITS.subject)
  subject!: string;

  @ApiProperty({ maxLength: ACTIVITY_LIMITS.body })
  @IsString()
  @MaxLength(ACTIVITY_LIMITS.body)
  body!: string;

  // null is the default too; OpenAPI 3.0 lets an enum hold null only by listing it.
  @ApiPropertyOptional({ enum: [...BODY_TYPES, null], default: 'HTML', nullable: true })
  @IsOptional()
  @IsIn(BODY_TYPES, oneOf(BODY_TYPES))
  bodyType?: BodyType;
}

export class ListActivitiesQuery {
  @ApiPropertyOptional({ pattern: ID.source }) @IsOptional() @IsString() @MaxLength(128) mailboxId?: string;

  @ApiPropertyOptional({ enum: ACTIVITY_DIRECTIONS })
  @IsOptional()
  @IsIn(ACTIVITY_DIRECTIONS, oneOf(ACTIVITY_DIRECTIONS))
  direction?: ActivityDirection;

  @ApiPropertyOptional({ enum: ACTIVITY_STATUSES })
  @IsOptional()
  @IsIn(ACTIVITY_STATUSES, oneOf(ACTIVITY_STATUSES))
  status?: ActivityStatus;

  @ApiPropertyOptional({ maxLength: 1024, description: 'The nextCursor of the page before' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

const LEDGER_OUTCOMES = ['Tracked', ...MESSAGE_OUTCOMES] as const;

export class LedgerQuery {
  @ApiPropertyOptional({ enum: LEDGER_OUTCOMES })
  @IsOptional()
  @IsIn(LEDGER_OUTCOMES, oneOf(LEDGER_OUTCOMES))
  outcome?: 'Tracked' | MessageOutcome;

  @ApiPropertyOptional({ description: 'Only this message (Internet Message-ID)' })
  @IsOptional()
  @IsString()
  @MaxLength(ACTIVITY_LIMITS.internetMessageId)
  internetMessageId?: string;

  @ApiPropertyOptional({ maxLength: 1024, description: 'The nextCursor of the page before' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class LatencyQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 720,
    default: 24,
    description: 'The window, in hours before now',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(720)
  hours?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 240,
    default: 24,
    description: 'How many equal intervals `series` cuts the window into',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(240)
  buckets?: number;
}
