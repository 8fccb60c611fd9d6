import { Body, Controller, Get, Headers, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { Privilege, RequirePrivileges } from '@ssync/security';
import { ValidationFailed } from '../http/errors';
import { actorOf, checkId, versionHeader } from '../http/request-context';
import { LatencyQuery, LedgerQuery, ListActivitiesQuery, QueueEmailDto } from './activity.dto';
import { QueueEmail, QueueEmailOutcome } from './activity.commands';
import {
  GetEmailActivity,
  GetMailboxLedger,
  GetTrackingLatency,
  ListEmailActivities,
  TrackingLatencyView,
} from './activity.queries';
import { EmailActivityView, LedgerEntryView } from './activity.view';

@ApiTags('email-activities')
@Controller('api/v1/email-activities')
export class EmailActivitiesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @RequirePrivileges(Privilege.MailboxRead)
  @ApiOperation({ summary: 'Email activities (incoming tracked, outgoing queued/sent), newest first' })
  list(
    @Query() query: ListActivitiesQuery,
  ): Promise<{ items: EmailActivityView[]; nextCursor: string | null }> {
    if (query.mailboxId !== undefined) checkId('mailboxId', query.mailboxId);
    return this.queries.execute(new ListEmailActivities(query));
  }

  @Post()
  @RequirePrivileges(Privilege.MailboxWrite)
  @ApiOperation({
    summary: 'Queue an outgoing email (S-3): 202, PendingSend; the worker owning the mailbox sends it once',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Retries with the same key queue one email. A retry within 24 hours of the first request answers with the email; after that, once it is sent or failed, it is a 409 conflict',
  })
  async queue(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() body: QueueEmailDto,
    @Headers('idempotency-key') key?: string,
  ): Promise<EmailActivityView> {
    if (key !== undefined && (key.length < 1 || key.length > 200))
      throw new ValidationFailed([
        { field: 'Idempotency-Key', rule: 'length', message: 'must have 1–200 characters' },
      ]);
    checkId('mailboxId', body.mailboxId);
    const outcome = await this.commands.execute<QueueEmail, QueueEmailOutcome>(
      new QueueEmail(actorOf(req), body, key),
    );
    res.status(202);
    res.setHeader('Location', `/api/v1/email-activities/${outcome.view.id}`);
    res.setHeader('ETag', `"${outcome.view.version}"`);
    if (outcome.duplicate) res.setHeader('Idempotent-Replayed', 'true');
    return outcome.view;
  }

  @Get(':id')
  @RequirePrivileges(Privilege.MailboxRead)
  @ApiHeader({ name: 'X-Min-Version', required: false, description: 'Wait (≤5 s) for this version' })
  async get(
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
    @Headers('x-min-version') minVersion?: string,
  ): Promise<EmailActivityView> {
    const view = await this.queries.execute<GetEmailActivity, EmailActivityView>(
      new GetEmailActivity(checkId('id', id), versionHeader('X-Min-Version', minVersion)),
    );
    res.setHeader('ETag', `"${view.version}"`);
    return view;
  }
}

@ApiTags('mailboxes')
@Controller('api/v1/mailboxes')
export class MailboxLedgerController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':id/ledger')
  @RequirePrivileges(Privilege.MailboxRead)
  @ApiOperation({
    summary: 'Tracking ledger (B-1): every message seen in the mailbox with its outcome and reason',
  })
  ledger(
    @Param('id') id: string,
    @Query() query: LedgerQuery,
  ): Promise<{ items: LedgerEntryView[]; nextCursor: string | null }> {
    return this.queries.execute(new GetMailboxLedger(checkId('id', id), query));
  }

  @Get(':id/tracking-latency')
  @RequirePrivileges(Privilege.MailboxRead)
  @ApiOperation({
    summary: 'Arrival-to-tracked latency of incoming email (B-5): p50/p95/max over the last hours',
  })
  latency(@Param('id') id: string, @Query() query: LatencyQuery): Promise<TrackingLatencyView> {
    return this.queries.execute(new GetTrackingLatency(checkId('id', id), query.hours ?? 24));
  }
}
