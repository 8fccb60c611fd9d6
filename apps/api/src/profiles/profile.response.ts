import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import {
  AUTHENTICATE_USING,
  AUTHENTICATION_PROTOCOLS,
  AuthenticateUsing,
  AuthenticationProtocol,
} from '@ssync/domain';
import { ProfileView } from '@ssync/read-models';
import { SameFields } from '../http/openapi';

// The bodies the profile endpoints answer with, for the OpenAPI document (and so the console's typed client).

@ApiSchema({
  name: 'EmailServerProfile',
  description:
    'An Exchange email server profile: every setting but the passwords, which only say whether set',
})
export class EmailServerProfileBody implements ProfileView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ['Active', 'Inactive'] })
  status!: 'Active' | 'Inactive';

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Its version, as in the ETag' })
  version!: number;

  @ApiProperty({ maxLength: 100 })
  name!: string;

  @ApiProperty({ type: String, nullable: true, maxLength: 2000 })
  description!: string | null;

  @ApiProperty({ description: 'P-2: server locations found per mailbox by Autodiscover' })
  autoDiscoverServerLocation!: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'EWS URL; null with Autodiscover' })
  incomingServerLocation!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'EWS URL; null with Autodiscover' })
  outgoingServerLocation!: string | null;

  @ApiProperty({ enum: AUTHENTICATE_USING, enumName: 'AuthenticateUsing' })
  authenticateUsing!: AuthenticateUsing;

  @ApiProperty({ type: String, nullable: true, description: 'With credentials specified in the profile' })
  userName!: string | null;

  @ApiProperty({ description: 'Whether a password is stored (it is never returned)' })
  passwordSet!: boolean;

  @ApiProperty({ description: 'P-7: outgoing uses the incoming credentials and protocol' })
  useSameSettingsForOutgoing!: boolean;

  @ApiProperty({ type: String, nullable: true })
  outgoingUserName!: string | null;

  @ApiProperty()
  outgoingPasswordSet!: boolean;

  @ApiProperty({ enum: AUTHENTICATION_PROTOCOLS, enumName: 'AuthenticationProtocol' })
  incomingAuthenticationProtocol!: AuthenticationProtocol;

  @ApiProperty({ enum: AUTHENTICATION_PROTOCOLS, enumName: 'AuthenticationProtocol' })
  outgoingAuthenticationProtocol!: AuthenticationProtocol;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  processEmailFrom!: string | null;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 1440 })
  minimumPollingIntervalMinutes!: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 300 })
  maxConcurrentConnections!: number;

  @ApiProperty()
  moveFailedEmailsToUndeliverableFolder!: boolean;

  @ApiProperty()
  ownerId!: string;
}

@ApiSchema({ name: 'DeactivatedEmailServerProfile' })
export class DeactivatedEmailServerProfileBody extends EmailServerProfileBody {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The job moving its mailboxes to reassignMailboxesTo (also in the Ssync-Job-Id header)',
  })
  reassignmentJobId?: string;
}

@ApiSchema({ name: 'EmailServerProfilePage', description: 'A page of profiles, by name' })
export class EmailServerProfilePageBody {
  @ApiProperty({ type: [EmailServerProfileBody] })
  items!: EmailServerProfileBody[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as cursor for the next page; null at the end',
  })
  nextCursor!: string | null;
}

@ApiSchema({ name: 'ProfileTestAndEnableStarted' })
export class ProfileTestAndEnableStartedBody {
  @ApiProperty({ format: 'uuid', description: 'The first job (of jobIds)' })
  jobId!: string;

  @ApiProperty({ type: [String], description: 'One job per 10,000 mailboxes' })
  jobIds!: string[];

  @ApiProperty({ type: 'integer', description: 'The active mailboxes of the profile, all to be tested' })
  mailboxes!: number;
}

const _sameAsView: SameFields<ProfileView, EmailServerProfileBody> = true;
