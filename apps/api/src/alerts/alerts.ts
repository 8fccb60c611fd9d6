import { Controller, Get, HttpCode, NotFoundException, Param, Post, Query, Req } from '@nestjs/common';
import {
  CommandBus,
  CommandHandler,
  ICommandHandler,
  IQueryHandler,
  QueryBus,
  QueryHandler,
} from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { Request } from 'express';
import { createHash } from 'node:crypto';
import { ALERT_LEVELS, AlertCommand, AlertLevel, AlertState } from '@ssync/domain';
import { KafkaCommandGateway } from '@ssync/messaging';
import {
  ActiveVersion,
  AlertView,
  ReadModels,
  ServiceAlertView,
  isAlertDismissed,
  readAlertWall,
  readServiceAlerts,
} from '@ssync/read-models';
import { Privilege, RequirePrivileges } from '@ssync/security';
import { ValidationFailed, acceptedOrThrow } from '../http/errors';
import { ApiErrors } from '../http/openapi';
import { requireSelfOrPrivilege } from '../http/privileges';
import { USER_ID, actorOf, checkId } from '../http/request-context';
import { AlertBody, AlertListBody, ServiceAlertListBody } from './alert.response';

const BOOLEAN_TEXT = ['true', 'false'] as const;
const oneOf = (values: readonly string[]) => ({ message: `must be one of ${values.join(', ')}` });

export class ListAlertsQuery {
  @ApiPropertyOptional({ enum: ALERT_LEVELS })
  @IsOptional()
  @IsIn(ALERT_LEVELS, oneOf(ALERT_LEVELS))
  level?: AlertLevel;

  @ApiPropertyOptional({ enum: BOOLEAN_TEXT })
  @IsOptional()
  @IsIn(BOOLEAN_TEXT, oneOf(BOOLEAN_TEXT))
  dismissed?: 'true' | 'false';
}

export class GetAlertWall {
  constructor(readonly userId: string) {}
}

export class DismissAlert {
  constructor(
    readonly actor: string,
    readonly userId: string,
    readonly alertId: string,
  ) {}
}

@QueryHandler(GetAlertWall)
export class GetAlertWallHandler implements IQueryHandler<GetAlertWall, AlertView[]> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
  ) {}

  async execute({ userId }: GetAlertWall): Promise<AlertView[]> {
    return readAlertWall(this.readModels.at(await this.active.get()), userId);
  }
}

const DISMISSAL_PROJECTION_WAIT_MS = 5_000;

/**
 * a dismissal is a command on the alert's own aggregate (docs: libs/domain/src/alert). It covers the alert
 * as seen up to its lastSeenAt now; a later repeat shows it again. The command id is derived from the user, the
 * alert and that time, so a repeated request is answered without a second event.
 */
@CommandHandler(DismissAlert)
export class DismissAlertHandler implements ICommandHandler<DismissAlert, AlertView> {
  constructor(
    private readonly gateway: KafkaCommandGateway,
    private readonly queries: QueryBus,
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
  ) {}

  async execute({ actor, userId, alertId }: DismissAlert): Promise<AlertView> {
    const wall = await this.queries.execute<GetAlertWall, AlertView[]>(new GetAlertWall(userId));
    const alert = wall.find((a) => a.id === alertId);
    if (!alert)
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        message: `alert ${alertId} is not on the alerts wall of user ${userId}`,
      });
    if (alert.dismissed) return alert;
    const h = createHash('sha256')
      .update(`dismiss\u0000${userId}\u0000${alertId}\u0000${alert.lastSeenAt}`)
      .digest('hex');
    const commandId = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
    const command: AlertCommand = {
      type: 'DismissAlert',
      commandId,
      actor,
      issuedAt: new Date().toISOString(),
      alertId,
      userId,
      through: alert.lastSeenAt,
    };
    const result = await this.gateway.sendCommand<AlertCommand, AlertState>('alert', alertId, command);
    acceptedOrThrow(result);
    await this.projected(alertId, alert.lastSeenAt);
    return { ...alert, dismissed: true };
  }

  /**
   * Read-your-writes: the wall the caller reads next shows the dismissal. Waits briefly for the projector; past
   * that, the dismissal is still recorded and shows once projected.
   */
  private async projected(alertId: string, lastSeenAt: string): Promise<void> {
    const deadline = Date.now() + DISMISSAL_PROJECTION_WAIT_MS;
    for (;;) {
      const models = this.readModels.at(await this.active.get());
      if ((await isAlertDismissed(models, alertId, lastSeenAt)) || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

@ApiTags('alerts')
@ApiErrors(401, 403, 503)
@Controller('api/v1/users/:userId/alerts')
export class AlertsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      "A user's alerts wall (A-1): Error / Warning / Information for their mailboxes and profiles, newest first",
  })
  @ApiOkResponse({ type: AlertListBody, description: 'The alerts' })
  @ApiErrors(400)
  async list(
    @Req() req: Request,
    @Param('userId') userId: string,
    @Query() query: ListAlertsQuery,
  ): Promise<{ items: AlertView[] }> {
    requireSelfOrPrivilege(
      req,
      checkUserId(userId),
      Privilege.EmailSettingsAdmin,
      "see or dismiss a user's alerts",
    );
    const wall = await this.queries.execute<GetAlertWall, AlertView[]>(new GetAlertWall(userId));
    return {
      items: wall.filter(
        (a) =>
          (query.level === undefined || a.level === query.level) &&
          (query.dismissed === undefined || a.dismissed === (query.dismissed === 'true')),
      ),
    };
  }

  @Post(':alertId/dismiss')
  @HttpCode(200)
  @ApiOperation({ summary: 'Dismiss an alert; a later repeat of it shows again' })
  @ApiOkResponse({
    type: AlertBody,
    description: 'The alert, dismissed (already dismissed: nothing changed)',
  })
  @ApiErrors(400, 404, 504)
  dismiss(
    @Req() req: Request,
    @Param('userId') userId: string,
    @Param('alertId') alertId: string,
  ): Promise<AlertView> {
    requireSelfOrPrivilege(
      req,
      checkUserId(userId),
      Privilege.EmailSettingsAdmin,
      "see or dismiss a user's alerts",
    );
    return this.commands.execute(new DismissAlert(actorOf(req), userId, checkId('alertId', alertId)));
  }
}

/** The newest administrators' alerts a read returns. */
const SERVICE_ALERTS_SHOWN = 200;

export class GetServiceAlerts {}

@QueryHandler(GetServiceAlerts)
export class GetServiceAlertsHandler implements IQueryHandler<GetServiceAlerts, ServiceAlertView[]> {
  constructor(
    private readonly readModels: ReadModels,
    private readonly active: ActiveVersion,
  ) {}

  async execute(): Promise<ServiceAlertView[]> {
    return readServiceAlerts(this.readModels.at(await this.active.get()), SERVICE_ALERTS_SHOWN);
  }
}

@ApiTags('alerts')
@ApiErrors(401, 403, 503)
@Controller('api/v1/service-alerts')
export class ServiceAlertsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @RequirePrivileges(Privilege.EmailSettingsAdmin)
  @ApiOperation({
    summary:
      "The administrators' alerts (issue #11): each time a sync worker could not reach Kafka or the database, for how long, and the work it put off; newest first (at most 200)",
  })
  @ApiOkResponse({ type: ServiceAlertListBody, description: "The administrators' alerts" })
  async list(): Promise<{ items: ServiceAlertView[] }> {
    return {
      items: await this.queries.execute<GetServiceAlerts, ServiceAlertView[]>(new GetServiceAlerts()),
    };
  }
}

/** User ids are the owner ids mailboxes and profiles carry. */
function checkUserId(userId: string): string {
  if (!USER_ID.test(userId))
    throw new ValidationFailed([
      { field: 'userId', rule: 'id', message: 'must be 1–128 letters, digits or "_", ".", "@", ":", "-"' },
    ]);
  return userId;
}

export const ALERT_HANDLERS = [GetAlertWallHandler, DismissAlertHandler, GetServiceAlertsHandler];
