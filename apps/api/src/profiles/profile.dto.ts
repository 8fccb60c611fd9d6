import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  ValidateBy,
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
import { INSTANT_PATTERN, IsInstant } from '../http/instant';
import { NON_BLANK } from '../http/openapi';
import { ID } from '../http/request-context';

/** Present means validated: `null` is refused for fields that cannot be empty. */
const Given = () => ValidateIf((_o, v) => v !== undefined);

const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
/** A last label that starts with a digit would make WHATWG's URL parser read the host as an IPv4 address. */
const LAST_LABEL = '[A-Za-z_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const PORT = '(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';
/**
 * An absolute http(s) URL with an ASCII host name or IPv4 address: the document states it and the API checks
 * exactly it, so a location the document allows is never refused by a second, different URL rule.
 */
export const SERVER_LOCATION_PATTERN =
  `^[Hh][Tt][Tt][Pp][Ss]?://(?:(?:${LABEL}\\.)*${LAST_LABEL}|${OCTET}(?:\\.${OCTET}){3})` +
  `(?::${PORT})?(?:[/?#][^\\s<>\\x00]*)?$`;
const SERVER_LOCATION = new RegExp(SERVER_LOCATION_PATTERN);
/** Named isUrl so a refusal keeps its rule name, `url`. */
const IsServerLocation = () =>
  ValidateBy({
    name: 'isUrl',
    validator: {
      validate: (value) => typeof value === 'string' && SERVER_LOCATION.test(value),
      defaultMessage: () =>
        'must be an absolute http(s) URL with an ASCII host name or IPv4 address, e.g. https://mail.contoso.com/EWS/Exchange.asmx',
    },
  });

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
    pattern: SERVER_LOCATION_PATTERN,
    maxLength: 2048,
  })
  @IsOptional()
  @IsString()
  @IsServerLocation()
  @MaxLength(2048)
  incomingServerLocation?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://mail.contoso.com/EWS/Exchange.asmx',
    pattern: SERVER_LOCATION_PATTERN,
    maxLength: 2048,
  })
  @IsOptional()
  @IsString()
  @IsServerLocation()
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

  @ApiPropertyOptional({ type: String, nullable: true, format: 'date-time', pattern: INSTANT_PATTERN })
  @IsOptional()
  @IsInstant()
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
