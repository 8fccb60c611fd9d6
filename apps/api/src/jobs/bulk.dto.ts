import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  ACT_DELIVERY_METHODS,
  ActDeliveryMethod,
  INCOMING_EMAIL_DELIVERY_METHODS,
  IncomingEmailDeliveryMethod,
  MAX_BULK_MAILBOXES,
  OUTGOING_EMAIL_DELIVERY_METHODS,
  OutgoingEmailDeliveryMethod,
} from '@ssync/domain';
import { ID } from '../http/request-context';

const Given = () => ValidateIf((_o, v) => v !== undefined);
const oneOf = (values: readonly string[]) => ({ message: `must be one of ${values.join(', ')}` });

/** Ids are checked as a whole by the handler (count, shape, duplicates, existence), with one message each. */
export class BulkMailboxesDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'string', pattern: ID.source },
    maxItems: MAX_BULK_MAILBOXES,
    minItems: 1,
    uniqueItems: true,
  })
  @IsArray()
  mailboxIds!: unknown[];
}

export class ApplyDefaultSettingsDto extends BulkMailboxesDto {
  @ApiPropertyOptional({ default: true, description: 'M-3: test & enable the mailboxes afterwards' })
  @Given()
  @IsBoolean()
  testAndEnable?: boolean;
}

export class BulkEditChangesDto {
  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  serverProfileId?: string | null;

  @ApiPropertyOptional({ enum: INCOMING_EMAIL_DELIVERY_METHODS })
  @Given()
  @IsIn(INCOMING_EMAIL_DELIVERY_METHODS, oneOf(INCOMING_EMAIL_DELIVERY_METHODS))
  incomingEmailDeliveryMethod?: IncomingEmailDeliveryMethod;

  @ApiPropertyOptional({ enum: OUTGOING_EMAIL_DELIVERY_METHODS })
  @Given()
  @IsIn(OUTGOING_EMAIL_DELIVERY_METHODS, oneOf(OUTGOING_EMAIL_DELIVERY_METHODS))
  outgoingEmailDeliveryMethod?: OutgoingEmailDeliveryMethod;

  @ApiPropertyOptional({ enum: ACT_DELIVERY_METHODS })
  @Given()
  @IsIn(ACT_DELIVERY_METHODS, oneOf(ACT_DELIVERY_METHODS))
  actDeliveryMethod?: ActDeliveryMethod;
}

export class BulkEditDto extends BulkMailboxesDto {
  @ApiProperty({ type: BulkEditChangesDto, minProperties: 1 })
  @IsObject()
  @ValidateNested()
  @Type(() => BulkEditChangesDto)
  changes!: BulkEditChangesDto;
}
