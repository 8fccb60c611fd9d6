import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { ALERT_LEVELS, AlertLevel, ServiceInterruption } from '@ssync/domain';
import { AlertView, ServiceAlertView } from '@ssync/read-models';
import { SameFields } from '../http/openapi';

const LEVEL = { enum: ALERT_LEVELS, enumName: 'AlertLevel' } as const;

@ApiSchema({
  name: 'Alert',
  description:
    "An alert on a user's wall (A-1): about a mailbox they own, or a profile they own or have mailboxes on",
})
export class AlertBody implements AlertView {
  @ApiProperty()
  id!: string;

  @ApiProperty({ description: 'The user whose wall shows it' })
  userId!: string;

  @ApiProperty({ ...LEVEL, description: 'Permanent errors are Error, transient ones Warning' })
  level!: AlertLevel;

  @ApiProperty()
  message!: string;

  @ApiPropertyOptional({ description: 'The mailbox it is about' })
  mailboxId?: string;

  @ApiPropertyOptional({ description: 'The email server profile it is about' })
  profileId?: string;

  @ApiProperty({ format: 'date-time' })
  firstSeenAt!: string;

  @ApiProperty({ format: 'date-time' })
  lastSeenAt!: string;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'How often it was raised' })
  count!: number;

  @ApiProperty({ description: 'Dismissed by this user since it was last raised' })
  dismissed!: boolean;
}

@ApiSchema({ name: 'AlertList', description: "A user's alerts, newest first" })
export class AlertListBody {
  @ApiProperty({ type: [AlertBody] })
  items!: AlertBody[];
}

@ApiSchema({ name: 'DeferredWork', description: 'The attempts a worker put off while it could not reach it' })
class DeferredWorkBody {
  @ApiProperty({ type: 'integer' })
  polls!: number;

  @ApiProperty({ type: 'integer' })
  tests!: number;

  @ApiProperty({ type: 'integer' })
  sends!: number;
}

@ApiSchema({
  name: 'ServiceAlert',
  description: "An administrators' alert (issue #11): a worker could not reach Kafka or the database",
})
export class ServiceAlertBody implements ServiceAlertView {
  @ApiProperty()
  id!: string;

  @ApiProperty(LEVEL)
  level!: AlertLevel;

  @ApiProperty()
  message!: string;

  @ApiProperty({ format: 'date-time' })
  recordedAt!: string;

  @ApiProperty({ enum: ['kafka', 'mongodb'] })
  dependency!: ServiceInterruption['dependency'];

  @ApiProperty({ description: 'The role that saw it, e.g. sync-worker' })
  role!: string;

  @ApiProperty()
  instanceId!: string;

  @ApiProperty({ format: 'date-time', description: 'The first work put off' })
  from!: string;

  @ApiProperty({ format: 'date-time', description: 'The first work done again after it' })
  to!: string;

  @ApiProperty({ type: DeferredWorkBody })
  deferred!: DeferredWorkBody;
}

@ApiSchema({
  name: 'ServiceAlertList',
  description: "The administrators' alerts, newest first (at most 200)",
})
export class ServiceAlertListBody {
  @ApiProperty({ type: [ServiceAlertBody] })
  items!: ServiceAlertBody[];
}

const _alertSameAsView: SameFields<AlertView, AlertBody> = true;
const _serviceAlertSameAsView: SameFields<ServiceAlertView, ServiceAlertBody> = true;
