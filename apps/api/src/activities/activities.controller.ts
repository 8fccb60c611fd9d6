import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { Privilege, RequirePrivileges } from '@ssync/security';
import { ApiErrors, IdempotencyKeyHeader, MinVersionHeader } from '../http/openapi';
import { Reach, mailboxInReach, requestReach } from '../http/reach';
import { actorOf, checkId, idempotencyKeyHeader, versionHeader } from '../http/request-context';
import { LatencyQuery, LedgerQuery, ListActivitiesQuery, QueueEmailDto } from './activity.dto';
import { QueueEmail, QueueEmailOutcome } from './activity.commands';
import {
  GetEmailActivity,
  GetMailboxLedger,
  GetTrackingLatency,
  ListEmailActivities,
  TrackingLatencyView,
} from './activity.queries';
import { MailboxDirectory } from '../mailboxes/mailbox-directory.service';
import { MailboxService } from '../mailboxes/mailbox.service';
import { EmailActivityView, LedgerEntryView } from './activity.view';
import { LedgerPageBody, TrackingLatencyBody } from './mailbox-ledger.response';
import { EmailActivityBody, EmailActivityPageBody } from './email-activity.response';

@ApiTags('email-activities')
@ApiErrors(401, 403, 503)
@Controller('api/v1/email-activities')
export class EmailActivitiesController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly directory: MailboxDirectory,
  ) {}

  /** The mailboxes whose activities `reach` covers (undefined: all of them). */
  private mailboxesIn(reach: Reach): readonly string[] | undefined {
    switch (reach.kind) {
      case 'organization':
        return undefined;
      case 'user':
        return this.directory.ownedBy(reach.userId);
      case 'none':
        return [];
    }
  }

  @Get()
  @RequirePrivileges(Privilege.MailboxRead)
  @ApiOperation({ summary: 'Email activities (incoming tracked, outgoing queued/sent), newest first' })
  @ApiOkResponse({ type: EmailActivityPageBody, description: 'A page of email activities' })
  @ApiErrors(400)
  list(
    @Req() req: Request,
    @Query() query: ListActivitiesQuery,
  ): Promise<{ items: EmailActivityView[]; nextCursor: string | null }> {
    if (query.mailboxId !== undefined) checkId('mailboxId', query.mailboxId);
    return this.queries.execute(
      new ListEmailActivities(query, this.mailboxesIn(requestReach(req, Privilege.MailboxRead))),
    );
  }

  @Post()
  @HttpCode(202)
  @RequirePrivileges(Privilege.MailboxWrite)
  @ApiOperation({
    summary: 'Queue an outgoing email (S-3): 202, PendingSend; the worker owning the mailbox sends it once',
  })
  @ApiAcceptedResponse({
    type: EmailActivityBody,
    description:
      'The email, queued; a retry with the same Idempotency-Key answers with it as it is now (Idempotent-Replayed: true)',
  })
  @ApiErrors(400, 404, 409, 413, 415, 422, 504)
  async queue(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() body: QueueEmailDto,
    @IdempotencyKeyHeader(
      'Retries with the same key queue one email. A retry within 24 hours of the first request answers with the email; after that, once it is sent or failed, it is a 409 conflict',
    )
    key?: string,
  ): Promise<EmailActivityView> {
    const idempotencyKey = idempotencyKeyHeader(key);
    checkId('mailboxId', body.mailboxId);
    const outcome = await this.commands.execute<QueueEmail, QueueEmailOutcome>(
      new QueueEmail(actorOf(req), body, idempotencyKey, requestReach(req, Privilege.MailboxWrite)),
    );
    res.setHeader('Location', `/api/v1/email-activities/${outcome.view.id}`);
    res.setHeader('ETag', `"${outcome.view.version}"`);
    if (outcome.duplicate) res.setHeader('Idempotent-Replayed', 'true');
    return outcome.view;
  }

  @Get(':id')
  @RequirePrivileges(Privilege.MailboxRead)
  @ApiOperation({ summary: 'An email activity' })
  @ApiOkResponse({ type: EmailActivityBody, description: 'The email activity; ETag is its version' })
  @ApiErrors(400, 404)
  async get(
    @Req() req: Request,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
    @MinVersionHeader() minVersion?: string,
  ): Promise<EmailActivityView> {
    const view = await this.queries.execute<GetEmailActivity, EmailActivityView>(
      new GetEmailActivity(checkId('id', id), versionHeader('X-Min-Version', minVersion)),
    );
    const reach = requestReach(req, Privilege.MailboxRead);
    if (reach.kind !== 'organization' && !mailboxInReach(reach, this.directory.peek(view.mailboxId)))
      // The body GetEmailActivity answers for a missing activity.
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        message: `email activity ${id} does not exist`,
      });
    res.setHeader('ETag', `"${view.version}"`);
    return view;
  }
}

@ApiTags('mailboxes')
@ApiErrors(401, 403, 503)
@Controller('api/v1/mailboxes')
export class MailboxLedgerController {
  constructor(
    private readonly queries: QueryBus,
    private readonly mailboxes: MailboxService,
  ) {}

  @Get(':id/ledger')
  @RequirePrivileges(Privilege.MailboxRead)
  @ApiOperation({
    summary: 'Tracking ledger (B-1): every message seen in the mailbox with its outcome and reason',
  })
  @ApiOkResponse({ type: LedgerPageBody, description: 'A page of ledger entries, latest sighting first' })
  @ApiErrors(400, 404)
  async ledger(
    @Req() req: Request,
    @Param('id') id: string,
    @Query() query: LedgerQuery,
  ): Promise<{ items: LedgerEntryView[]; nextCursor: string | null }> {
    // Out of reach: the 404 a missing mailbox gets (docs/adr/0020).
    await this.mailboxes.get(checkId('id', id), requestReach(req, Privilege.MailboxRead));
    return this.queries.execute(new GetMailboxLedger(id, query));
  }

  @Get(':id/tracking-latency')
  @RequirePrivileges(Privilege.MailboxRead)
  @ApiOperation({
    summary: 'Arrival-to-tracked latency of incoming email (B-5): p50/p95/max over the last hours',
  })
  @ApiOkResponse({ type: TrackingLatencyBody, description: 'The latencies over the window, and over time' })
  @ApiErrors(400, 404)
  async latency(
    @Req() req: Request,
    @Param('id') id: string,
    @Query() query: LatencyQuery,
  ): Promise<TrackingLatencyView> {
    await this.mailboxes.get(checkId('id', id), requestReach(req, Privilege.MailboxRead));
    return this.queries.execute(
      new GetTrackingLatency(id, query.hours ?? 24, new Date(), query.buckets ?? 24),
    );
  }
}
