import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import {
  AUTHENTICATE_USING,
  AUTHENTICATION_PROTOCOLS,
  AuthenticateUsing,
  AuthenticationProtocol,
} from '@ssync/domain';
import { NON_BLANK } from '../http/openapi';
import { ID } from '../http/request-context';

/** Present means validated: `null` is refused for fields that cannot be empty. */
const Given = () => ValidateIf((_o, v) => v !== undefined);
const URL_OPTIONS = {
  require_protocol: true,
  protocols: ['http', 'https'],
  require_tld: false,
  allow_underscores: true,
};

export class CreateProfileDto {
  @ApiProperty({ maxLength: 100, example: 'Contoso Exchange' })
  @IsString()
  @MaxLength(100)
  name!: string;

  @ApiPropertyOptional({ maxLength: 2000, type: String, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ default: false })
  @Given()
  @IsBoolean()
  autoDiscoverServerLocation?: boolean;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://mail.contoso.com/EWS/Exchange.asmx',
  })
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'must be an absolute http(s) URL' })
  @MaxLength(2048)
  incomingServerLocation?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://mail.contoso.com/EWS/Exchange.asmx',
  })
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'must be an absolute http(s) URL' })
  @MaxLength(2048)
  outgoingServerLocation?: string | null;

  // WithoutCredentials is a value of the CRM's type, but never valid for an Exchange profile (the decider says so).
  @ApiProperty({ enum: AUTHENTICATE_USING.filter((a) => a !== 'WithoutCredentials') })
  @IsIn(AUTHENTICATE_USING, { message: `must be one of ${AUTHENTICATE_USING.join(', ')}` })
  authenticateUsing!: AuthenticateUsing;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 256 })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  userName?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    writeOnly: true,
    description: 'Write-only; stored encrypted, never returned',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string | null;

  @ApiPropertyOptional({ default: true })
  @Given()
  @IsBoolean()
  useSameSettingsForOutgoing?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 256 })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  outgoingUserName?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  outgoingPassword?: string | null;

  @ApiPropertyOptional({ enum: AUTHENTICATION_PROTOCOLS, default: 'AutoDetect' })
  @Given()
  @IsIn(AUTHENTICATION_PROTOCOLS, { message: `must be one of ${AUTHENTICATION_PROTOCOLS.join(', ')}` })
  incomingAuthenticationProtocol?: AuthenticationProtocol;

  @ApiPropertyOptional({ enum: AUTHENTICATION_PROTOCOLS, default: 'AutoDetect' })
  @Given()
  @IsIn(AUTHENTICATION_PROTOCOLS, { message: `must be one of ${AUTHENTICATION_PROTOCOLS.join(', ')}` })
  outgoingAuthenticationProtocol?: AuthenticationProtocol;

  @ApiPropertyOptional({ type: String, nullable: true, format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'must be an ISO 8601 date-time' })
  processEmailFrom?: string | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 1440, default: 1 })
  @Given()
  @IsInt()
  @Min(0)
  @Max(1440)
  minimumPollingIntervalMinutes?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 300, default: 10 })
  @Given()
  @IsInt()
  @Min(1)
  @Max(300)
  maxConcurrentConnections?: number;

  @ApiPropertyOptional({ default: false })
  @Given()
  @IsBoolean()
  moveFailedEmailsToUndeliverableFolder?: boolean;

  @ApiPropertyOptional({ description: 'Defaults to the caller', maxLength: 128, pattern: NON_BLANK })
  @Given()
  @IsString()
  @MaxLength(128)
  ownerId?: string;
}

export class UpdateProfileDto extends PartialType(CreateProfileDto) {}

export class DeactivateProfileDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    // Empty is none, as null.
    pattern: `^$|${ID.source}`,
    description: "The profile that takes over this profile's mailboxes (required when it has any)",
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  reassignMailboxesTo?: string | null;
}

export class ListProfilesQuery {
  @ApiPropertyOptional({ enum: ['Active', 'Inactive'] })
  @IsOptional()
  @IsIn(['Active', 'Inactive'])
  status?: 'Active' | 'Inactive';

  @ApiPropertyOptional({ description: 'Text in the name', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ maxLength: 128 })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  ownerId?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ maxLength: 512, description: 'The nextCursor of the page before' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}
